// A profile's `contract:` (what the kernel's exits and lines mean) and `expect: {ktap: ...}`'s
// case count, parsed and refused with file:line.
import Foundation
import KernelSymbols
import QEMUMachine
import TestSupport
import Testing

@testable import Scenario

@Suite struct KernelContractTests {
    private let ours = OurKernel.profiles + "linux:\n  kernel: vmlinuz\n"

    @Test func theTestsCopyOfOurContractIsScenariosProfiles() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let shipped = try ProfileLibrary.load(repository.appendingPathComponent("scenarios/profiles.yaml").path)
        let copy = try ProfileLibrary.parse(ours, file: "/p/profiles.yaml")
        #expect(try #require(shipped.profiles["default"]).contract == (try #require(copy.profiles["default"])).contract)
    }

    @Test func ourContractIsReadAndAnotherProfileAssumesNothing() throws {
        let library = try ProfileLibrary.parse(ours, file: "/p/profiles.yaml")
        let contract = try #require(library.profiles["default"]).contract
        #expect(contract.cleanExit == 33 && contract.panicExit == 37)
        #expect(contract.panicLine?.matches("KERNEL PANIC: out of memory") == true)
        #expect(contract.haltsAfterPanic("seed=1 panic=halt") && !contract.haltsAfterPanic("seed=1 panic=halted"))
        #expect(contract.panicCPU(in: "cpu=3 stopped rip=0x0000000000101234 rsp=0x1") == 3)
        #expect(contract.panicCPU(in: "cpu=12 rip=0x0000000000101234 rsp=0x1") == 12)
        #expect(contract.panicCPU(in: "cpu=3 did not stop (no answer to IPI or NMI)") == nil)
        #expect(try #require(library.profiles["linux"]).contract == KernelContract())
        let scenario = try ScenarioParser.parse(
            "machine: {profile: linux}\nexpect: {exit: 0}\n", file: "/p/s.yaml", profiles: library)
        #expect(scenario.contract == KernelContract())
        #expect(try ScenarioParser.parse("expect: {exit: 33}\n", file: "/p/s.yaml", profiles: library).contract == contract)
    }

    @Test func linuxPanicsAreRecognisedByDefaultAndTitledAsSyzkallerNamesThem() {
        let lines = KernelContract().panicLines
        func title(_ line: String) -> String? { lines.lazy.compactMap { $0.title(for: line) }.first }
        #expect(title("[   12.3] Kernel panic - not syncing: sysrq triggered crash") == "kernel panic: sysrq triggered crash")
        #expect(title("[   30.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [spin:93]") == "BUG: soft lockup")
        #expect(title("[   40.0] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:") == "INFO: rcu detected stall")
        #expect(title("[   41.0] rcu: INFO: rcu_sched self-detected stall on CPU") == "INFO: rcu detected stall")
        #expect(title("[  242.6] INFO: task sh:77 blocked for more than 120 seconds.") == "INFO: task hung")
        #expect(
            title("[    5.0] Oops: general protection fault, probably for non-canonical address") == "general protection fault")
        #expect(
            title("[    5.0] BUG: unable to handle page fault for address: ffff8880")
                == "BUG: unable to handle page fault for address")
        #expect(
            title("[    5.0] BUG: kernel NULL pointer dereference, address: 0000000000000008")
                == "BUG: kernel NULL pointer dereference, address")
        #expect(title("[    5.0] Oops: 0000 [#1] PREEMPT SMP NOPTI") == "Oops")
        #expect(title("[    5.0] random: crng init done") == nil)
    }

    @Test func aProfileAddsPanicLinesDropsTheDefaultsAndNamesItsKTAPOption() throws {
        let library = try ProfileLibrary.parse(
            """
            default:
              kernel: k
              contract:
                panic-defaults: false
                panic-lines: ["PANIC:", {line: "/^fatal: (.*)/", title: "fatal $1"}]
                ktap-option: "ktest="
                diagnosis-variables: [cpu_count]
            """, file: "/p/profiles.yaml")
        let contract = try #require(library.profiles["default"]).contract
        #expect(contract.panicLines.count == 2)
        #expect(contract.panicLines[1].title(for: "fatal: disk gone") == "fatal disk gone")
        #expect(!contract.panicLines.contains { $0.pattern.matches("general protection fault") })
        #expect(contract.diagnosisVariables == ["cpu_count"])
        #expect(contract.ktapEnabled(by: "seed=1 ktest=heap.*") && !contract.ktapEnabled(by: "seed=1"))
        #expect(throws: ScenarioError.self) {
            try ScenarioParser.parse("expect: ktap\n", file: "/p/s.yaml", profiles: library)
        }
        // A profile that names no option: `expect: ktap` needs none.
        #expect(KernelContract().ktapEnabled(by: ""))
        let plain = try ProfileLibrary.parse("default:\n  kernel: k\n", file: "/p/profiles.yaml")
        #expect(try ScenarioParser.parse("expect: ktap\n", file: "/p/s.yaml", profiles: plain).expectation == .ktapAllPass)
    }

    @Test func kaslrOffsetIsReadFromThePrintedOffsetOrFromASymbolsRunningAddress() throws {
        let library = try ProfileLibrary.parse(
            """
            default:
              kernel: k
              contract: {kaslr-offset: "/Kernel Offset: 0x([0-9a-f]+) from/"}
            bysymbol:
              kernel: k
              contract:
                kaslr-offset: {line: "/^kallsyms: ([0-9a-f]{16}) T _stext$/", symbol: _stext}
            """, file: "/p/profiles.yaml")
        let printed = try #require(library.profiles["default"]?.contract.kaslrOffset)
        #expect(printed.offset(in: "[ 9.1] Kernel Offset: 0x2a000000 from 0xffffffff81000000", symbols: nil) == 0x2a00_0000)
        #expect(printed.offset(in: "Kernel Offset: disabled", symbols: nil) == nil)
        let bySymbol = try #require(library.profiles["bysymbol"]?.contract.kaslrOffset)
        let symbols = SymbolMap(image: try ELFImage(systemMap: "ffffffff81000000 T _stext\nffffffff81000100 T _etext\n"))
        #expect(bySymbol.offset(in: "kallsyms: ffffffffab000000 T _stext", symbols: symbols) == 0x2a00_0000)
        // Without the symbol in the symbols the offset cannot be known.
        #expect(bySymbol.offset(in: "kallsyms: ffffffffab000000 T _stext", symbols: nil) == nil)
    }

    @Test(arguments: [
        ("default:\n  kernel: k\n  contract: {kaslr-offset: \"Kernel Offset:\"}\n", 3, "first group is the offset in hex"),
        ("default:\n  kernel: k\n  contract: {panic-exit: 300}\n", 3, "contract.panic-exit"),
        ("default:\n  kernel: k\n  contract: {exit: 33}\n", 3, "unknown key 'exit'"),
        ("default:\n  kernel: k\n  contract: {panic-cpu-line: \"cpu=\"}\n", 3, "first group is the CPU number"),
        ("default:\n  kernel: k\n  contract: {cpus-online: \"/^smp: [0-9]+ CPUs/\"}\n", 3, "first group is the count of CPUs"),
        ("default:\n  kernel: k\n  contract:\n    panic-halt: {option: \"panic=halt\"}\n", 4, "line"),
    ])
    func badContractsAreRefusedWithLineAndReason(text: String, line: Int, reason: String) {
        do {
            _ = try ProfileLibrary.parse(text, file: "profiles.yaml")
            Issue.record("accepted: \(text)")
        } catch let error as ScenarioError {
            #expect(error.line == line, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test func ktapCaseCountsParse() throws {
        let library = try ProfileLibrary.parse(ours, file: "/p/profiles.yaml")
        func cases(_ expect: String) throws -> KTAPCaseCount? {
            let scenario = try ScenarioParser.parse(
                "machine: {cmdline: \"ktest=*\"}\nexpect: \(expect)\n", file: "/p/s.yaml", profiles: library)
            #expect(scenario.expectation == .ktapAllPass)
            return scenario.ktapCases
        }
        #expect(try cases("ktap") == nil)
        #expect(try cases("{ktap: all-pass}") == nil)
        #expect(try cases("{ktap: {all-pass: true, cases: 34}}") == .exactly(34))
        #expect(try cases("{ktap: {all-pass: true, cases: {at-least: 30}}}") == .atLeast(30))
        #expect(throws: ScenarioError.self) { try cases("{ktap: {all-pass: false, cases: 3}}") }
        #expect(throws: ScenarioError.self) { try cases("{ktap: {all-pass: true, cases: 0}}") }
        #expect(throws: ScenarioError.self) { try cases("{ktap: {all-pass: true, count: 3}}") }
    }
}
