import QEMUMachine
// A profile's `contract:` (what the kernel's exits and lines mean) and `expect: {ktap: ...}`'s
// case count, parsed and refused with file:line.
import Testing

@testable import Scenario

@Suite struct KernelContractTests {
    private let ours = """
        default:
          kernel: k.img
          contract:
            clean-exit: 33
            panic-exit: 37
            panic-line: "KERNEL PANIC:"
            panic-report-end: "end of panic report"
            panic-halt: {option: "panic=halt", line: "panic: halted"}
            panic-cpu-line: "/^cpu=([0-9]+) (stopped )?rip=/"
        linux:
          kernel: vmlinuz
        """

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

    @Test(arguments: [
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
