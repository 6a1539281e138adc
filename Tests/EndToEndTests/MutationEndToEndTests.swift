// Mutation checks: for each verdict path, the real kernel is made to misbehave in the way the
// check exists to catch (a command-line option, a shell command, a write through the gdbstub),
// and the harness must fail the run for that reason. A check that passed these would prove
// nothing; the shipped scenarios are the unmutated controls.
import Foundation
import Runner
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct MutationEndToEndTests {
    /// Expected panic, mutated: the kernel prints its whole report and then hangs instead of
    /// exiting with the panic status (`panic=halt` on a profile whose contract does not know
    /// the option, so the harness expects the exit).
    @Test func aPanicReportFollowedByAHangFails() throws {
        let contract = KernelScenario.contract.split(separator: "\n").filter { !$0.contains("panic-halt") }.joined(
            separator: "\n")
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 2, cmdline: "debug=panic panic=halt seed={seed}"}
            watchdogs: {silence: 20s, deadline: 60s}
            expect: {panic: "KERNEL PANIC: deliberate panic"}
            """, contract: contract)
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.kind == .unexpectedExit)
        #expect(
            result.verdict.message.contains(
                "QEMU did not exit within 3.0s of the report's last line, not the panic exit status 37"),
            "\(result.verdict.message)")
    }

    /// Expected panic, mutated: CPU 1 is taken out of the kernel's online mask through the
    /// gdbstub, so the panic neither stops it nor reports it; "every CPU stopped" must fail.
    @Test func aPanicThatLeavesACPUUnaccountedForFails() throws {
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 2, cmdline: "seed={seed}"}
            watchdogs: {silence: 20s, deadline: 60s}
            steps:
              - wait-serial: {pattern: "shell: ready", within: 30s}
              - gdb: {write: Kernel.CPUs.onlineMask, value: 1}
              - gdb: continue
              - send-serial: "panic"
            expect: {panic: "KERNEL PANIC:"}
            """)
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.kind == .expectedLineMissing)
        #expect(result.verdict.message.hasSuffix("for CPU 1 of 2"), "\(result.verdict.message)")
    }

    /// KTAP all-pass, mutated: the suite the filter names does not exist (a rename): the
    /// kernel prints `1..0` and exits cleanly, which must not pass.
    @Test func ktapWithNoResultsFails() throws {
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 1, cmdline: "ktest=renamed_suite.* seed={seed}"}
            watchdogs: {deadline: 60s}
            expect: ktap
            """)
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.kind == .ktapFailures)
        #expect(result.verdict.message.contains("no results (plan 1..0"), "\(result.verdict.message)")
    }

    /// Expected hang with a diagnosis, mutated: the kernel hangs without the heap lock, so a
    /// diagnosis that must name the lock's holder fails.
    @Test func aHangWithoutTheExpectedCauseFails() throws {
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 2, cmdline: "debug=hang seed={seed}"}
            watchdogs: {silence: 5s, deadline: 60s}
            steps:
              - wait-serial: {pattern: "debug: hanging", within: 30s}
            expect:
              hang: {diagnosis: "holding: heap by CPU0"}
            """)
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.kind == .expectedLineMissing)
        #expect(result.verdict.message == "the hang was diagnosed, but no diagnosis line matched \"holding: heap by CPU0\"")
        #expect(result.verdict.details.contains { $0.hasPrefix("diagnosis: CPU0 running, IF=0") }, "\(result.verdict.details)")
    }

    /// Exit status, mutated: the machine is reset instead of shut down by the kernel; under
    /// -no-reboot QEMU then exits with 0, not the clean 33.
    @Test func aWrongExitStatusFails() throws {
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 1, cmdline: "seed={seed}"}
            watchdogs: {deadline: 60s}
            steps:
              - wait-serial: {pattern: "shell: ready", within: 30s}
              - qmp: system_reset
            expect: {exit: 33}
            """)
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.kind == .unexpectedExit)
        #expect(result.verdict.message == "QEMU exited with 0, expected 33")
    }

    /// Never-lines, mutated: the kernel runs out of heap (32 MiB and crash.oom_heap) while the
    /// profile forbids "Allocation failure:": the expected panic does not excuse it.
    @Test func aForbiddenLineFailsEvenAnExpectedPanic() throws {
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 1, memory: 32M, cmdline: "ktest=crash.oom_heap seed={seed}"}
            watchdogs: {deadline: 90s}
            expect: {panic: "KERNEL PANIC: out of memory"}
            """)
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.kind == .forbiddenLine)
        #expect(
            result.verdict.message.hasPrefix(
                "a line matching never-pattern \"Allocation failure:\" appeared: Allocation failure: size="))
    }

    /// Captures and asserts, mutated: CPU 1 is halted with interrupts off, so its tick count
    /// stops; an assertion that every CPU's timer keeps ticking must fail on it.
    @Test func anAssertionOnAStoppedCountFails() throws {
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 2, cmdline: "heartbeat=200 seed={seed}"}
            watchdogs: {deadline: 60s}
            steps:
              - wait-serial: {pattern: "shell: ready", within: 30s}
              - send-serial: "halt-cpu 1"
              - wait-serial: {pattern: "shell: CPU 1 halted with interrupts off", within: 10s}
              - capture: {pattern: "heartbeat:", as: first, within: 5s}
              - capture: {pattern: "heartbeat:", as: second, within: 5s}
              - assert: {value: second.cpu0.beats, above: first.cpu0.beats}
              - assert: {value: second.cpu1.beats, above: first.cpu1.beats}
            expect: running
            """)
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.kind == .assertionFailed)
        #expect(result.verdict.message.hasPrefix("step 7 (line 10): expected second.cpu1.beats ("), "\(result.verdict.message)")
    }
}
