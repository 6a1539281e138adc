// QEMU dies in the middle of a hang diagnosis, through the real harness binary: the gdbstub's
// connection ends mid-conversation. The run keeps its hang verdict, the harness does not hang,
// the report is valid, and nothing is left behind.
import Foundation
import Glibc
import SchemaCheck
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct DiagnosisFaultEndToEndTests {
    @Test func qemuKilledDuringTheDiagnosisLeavesTheHangVerdict() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        machine: {cmdline: "debug=hang seed={seed}"}
        watchdogs: {silence: 2s, deadline: 60s}
        expect: {exit: 33}
        """.write(to: folder.appendingPathComponent("hang.yaml"), atomically: true, encoding: .utf8)
        let seed = UInt64.random(in: 1_000_000...9_000_000)
        let junit = folder.appendingPathComponent("junit.xml").path
        let harness = try HarnessProcess([
            folder.path, "--seed", String(seed), "--junit", junit,
            "--artifacts", folder.appendingPathComponent("artifacts").path,
        ])
        #expect(harness.read(until: "harness: diagnosing hang"), "\(harness.output)")
        let qemu = HarnessProcess.processes(containing: "seed=\(seed)", qemuOnly: true).compactMap {
            pid_t($0.prefix { $0 != ":" })
        }
        #expect(qemu.count == 1)
        qemu.forEach { kill($0, SIGKILL) }
        let status = harness.finish()

        #expect(status == 1, "\(harness.output)")
        #expect(harness.output.contains("ERROR hang"), "\(harness.output)")
        #expect(HarnessProcess.processes(containing: "seed=\(seed)").isEmpty)
        #expect(harness.leftoverDirectories.isEmpty)
        #expect(try SchemaValidator.problems(in: junit) == nil)
        let report = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(report.contains("type=\"hang (serial silence watchdog)\""), "\(report)")
    }
}
