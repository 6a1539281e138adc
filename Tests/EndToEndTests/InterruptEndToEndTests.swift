// Ctrl-C and SIGTERM through the real harness binary, at every phase of a run: booting, in a
// step, in the middle of a hang diagnosis, and between runs while the report is written. Each
// phase is reached by waiting for the line that announces it. In every case: the verdicts of
// what finished, a valid JUnit file, no QEMU and no socket directory left behind.
import Foundation
import HostSystem
import QEMUMachine
import SchemaCheck
import TestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(5))) struct InterruptEndToEndTests {
    static let longRun = """
        machine: {cmdline: "debug=silent seed={seed}"}
        watchdogs: {silence: 120s, deadline: 300s}
        steps:
          - wait-serial: "kernel: ready"
          - pause: 120s
        expect: running
        """

    /// Blocks until process `pid` has ended (tail --pid), at most `seconds`; true if it ended.
    private func waitForEnd(of pid: String, seconds: Int) throws -> Bool {
        try Tool.run(["timeout", String(seconds), "tail", "--pid=\(pid)", "-f", "/dev/null"]).status == 0
    }

    @Test func harnessKilledOutrightTakesItsQEMUAlong() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        machine: {cmdline: "debug=silent seed={seed}"}
        watchdogs: {silence: off}
        steps:
          - wait-serial: "kernel: ready"
          - pause: 120s
        expect: running
        """.write(to: folder.appendingPathComponent("long.yaml"), atomically: true, encoding: .utf8)
        let seed = UInt64.random(in: 1_000_000...9_000_000)
        // Its own TMPDIR: no other harness (tests run in parallel) clears its directory first.
        let harness = try HarnessProcess(
            [
                folder.path, "--seed", String(seed), "--verbose",
                "--junit", folder.appendingPathComponent("junit.xml").path,
                "--artifacts", folder.appendingPathComponent("artifacts").path,
            ],
            temporaryDirectory: folder.path)
        harness.read(until: "kernel: ready")
        let qemu = HarnessProcess.processes(containing: "seed=\(seed)", qemuOnly: true)
        #expect(qemu.count == 1)
        kill(harness.pid, SIGKILL)
        _ = harness.finish()
        let pid = qemu.first.map { String($0.prefix { $0 != ":" }) } ?? "0"
        #expect(try waitForEnd(of: pid, seconds: 10), "QEMU \(pid) outlived the harness")
        #expect(HarnessProcess.processes(containing: "seed=\(seed)").isEmpty)
        // Its socket directory stayed behind; the next harness clears it away.
        let directory = qemu.first.flatMap { $0.range(of: "path=") }.map { range in
            String(qemu.first![range.upperBound...].prefix { $0 != "," && $0 != " " })
        }.map { ($0 as NSString).deletingLastPathComponent }
        #expect(directory.map { FileManager.default.fileExists(atPath: $0) } == true)
        #expect(PrivateDirectory.removeAbandoned(prefix: "harness-vm", parent: folder.path).contains(directory ?? ""))
        #expect(directory.map { FileManager.default.fileExists(atPath: $0) } == false)
    }

    @Test func sigintLeavesNoQEMUAndAValidPartialReport() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.longRun.write(to: folder.appendingPathComponent("first.yaml"), atomically: true, encoding: .utf8)
        try Self.longRun.write(to: folder.appendingPathComponent("second.yaml"), atomically: true, encoding: .utf8)
        let seed = UInt64.random(in: 1_000_000...9_000_000)
        let junit = folder.appendingPathComponent("junit.xml").path
        let harness = try HarnessProcess([
            folder.path, "--jobs", "2", "--seed", String(seed), "--verbose",
            "--junit", junit, "--artifacts", folder.appendingPathComponent("artifacts").path,
        ])
        // Wait (blocking reads, no sleeps) until both guests have booted.
        harness.read(until: "kernel: ready", count: 2)
        #expect(
            HarnessProcess.processes(containing: "seed=\(seed)", qemuOnly: true).count == 2, "two QEMUs run before the interrupt")
        harness.process.interrupt()
        let status = harness.finish()

        #expect(status == 130, "\(harness.output)")
        #expect(HarnessProcess.processes(containing: "seed=\(seed)").isEmpty, "no QEMU outlives the harness")
        #expect(harness.leftoverDirectories.isEmpty)
        #expect(harness.output.contains("interrupted"))
        #expect(try SchemaValidator.problems(in: junit) == nil)
        let report = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(report.components(separatedBy: "<skipped>interrupted by signal 2").count - 1 == 2)
    }

    enum Phase: String, CaseIterable {
        case boot, step, diagnosis, report
    }

    @Test(arguments: [SIGINT, SIGTERM], Phase.allCases)
    func signalAtEveryPhaseEndsCleanly(signal: Int32, phase: Phase) throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func scenario(_ name: String, _ text: String) throws {
            try text.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
        }
        // What announces the phase on the harness's stderr, and what the report must then say.
        let trigger: String
        switch phase {
        case .boot:
            try scenario("long", Self.longRun)
            trigger = "harness: start long"
        case .step:
            try scenario("long", Self.longRun)
            trigger = "[long] kernel: ready"
        case .diagnosis:
            try scenario(
                "hang",
                """
                machine: {cmdline: "debug=hang seed={seed}"}
                watchdogs: {silence: 2s, deadline: 60s}
                expect: {exit: 33}
                """)
            trigger = "harness: diagnosing hang"
        case .report:
            try scenario("a-quick", "machine: {cmdline: \"debug=triplefault seed={seed}\"}\nexpect: triple-fault\n")
            try scenario("b-long", Self.longRun)
            trigger = "harness: PASS a-quick"
        }
        let seed = UInt64.random(in: 1_000_000...9_000_000)
        let junit = folder.appendingPathComponent("junit.xml").path
        let harness = try HarnessProcess([
            folder.path, "--jobs", "1", "--seed", String(seed), "--verbose",
            "--junit", junit, "--artifacts", folder.appendingPathComponent("artifacts").path,
        ])
        #expect(harness.read(until: trigger), "\(harness.output)")
        kill(harness.pid, signal)
        let status = harness.finish()

        #expect(status == 128 + signal, "\(harness.output)")
        #expect(harness.output.contains("interrupted by signal \(signal)"))
        #expect(HarnessProcess.processes(containing: "seed=\(seed)").isEmpty, "no QEMU outlives the harness")
        #expect(harness.leftoverDirectories.isEmpty, "no socket directory is left")
        #expect(try SchemaValidator.problems(in: junit) == nil)
        let report = try String(contentsOfFile: junit, encoding: .utf8)
        switch phase {
        case .boot, .step:
            #expect(report.contains("<skipped>interrupted by signal \(signal)"), "\(report)")
        case .diagnosis:
            // The watchdog had fired: the run finished as a hang, whatever the diagnosis managed.
            #expect(report.contains("type=\"hang (serial silence watchdog)\""), "\(report)")
            #expect(!report.contains("<skipped>"))
        case .report:
            #expect(report.contains("tests=\"1\"") || report.contains("<skipped>interrupted by signal \(signal)"), "\(report)")
            #expect(report.contains("name=\"a-quick\""))
            #expect(!report.contains("<error") && !report.contains("<failure"), "\(report)")
        }
    }
}
