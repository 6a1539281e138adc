import Runner
// A frozen machine explained: an AP spinning with interrupts off while CPU 0 waits for it in a
// cross-call that never times out (ipi_deadline_ms=0). The diagnosis must name both.
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct HangDiagnosisEndToEndTests {
    static func scenario(diagnosis: [String]) -> String {
        """
        machine: {vcpus: 4, cmdline: "ipi_deadline_ms=0"}
        watchdogs: {silence: 3s, deadline: 60s}
        steps:
          - wait-serial: {pattern: "shell: ready", within: 30s}
          - send-serial: "halt-cpu 2"
          - wait-serial: "shell: CPU 2 halted with interrupts off"
          - send-serial: "crosscall"
        expect:
          hang:
            diagnosis: [\(diagnosis.map { "\"\($0)\"" }.joined(separator: ", "))]
        """
    }

    @Test func namesTheFrozenCPUAndTheWaiter() throws {
        let result = try KernelScenario.run(
            Self.scenario(diagnosis: [
                "/CPU2 (running|halted), IF=0, in [^;]*haltWithInterruptsOff/",
                "/CPU0 running, IF=., in [^;]*CrossCall\\\\.run/",
            ]))
        #expect(result.verdict.status == .passed, "\(result.verdict)")
        let summary = result.verdict.details.first { $0.hasPrefix("diagnosis: ") } ?? ""
        #expect(summary.contains("2 other CPUs idle in hlt"), "\(summary)")
        #expect(result.verdict.details.contains { $0.hasPrefix("full diagnosis (gdbstub, ") })
    }

    @Test func aDiagnosisThatDoesNotMatchFailsTheRun() throws {
        let result = try KernelScenario.run(Self.scenario(diagnosis: ["CPU3 running, IF=0"]))
        #expect(result.verdict.status == .failed)
        #expect(result.verdict.kind == .expectedLineMissing)
        #expect(result.verdict.message.contains("CPU3 running, IF=0"), "\(result.verdict.message)")
    }

    /// panic=halt leaves the machine up with every CPU stopped: the panic is explained too.
    @Test func aHaltedPanicIsDiagnosed() throws {
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 2, cmdline: "panic=halt debug=panic"}
            watchdogs: {silence: 10s, deadline: 60s}
            steps:
              - wait-serial: {pattern: "never printed", within: 30s}
            expect: running
            """)
        #expect(result.verdict.kind == .panic, "\(result.verdict)")
        let summary = result.verdict.details.first { $0.hasPrefix("diagnosis: ") } ?? ""
        #expect(summary.contains("CPU0 halted, IF=0, in Panic.panic("), "\(summary)")
        #expect(summary.contains("CPU1 halted, IF=0, in Panic.stopHere(_:)"), "\(summary)")
    }
}
