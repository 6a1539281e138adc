// Ctrl-C in the middle of a run, through the real harness binary: no QEMU may survive, and the
// report must still be written and valid.
import Foundation
import QEMUMachine
import SchemaCheck
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct InterruptEndToEndTests {
    private var harnessBinary: String { KernelScenario.repository.appendingPathComponent(".build/debug/harness").path }

    /// Processes whose command line contains `text` (QEMU's -append carries the seed).
    private func processes(containing text: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return commandLine.contains(text) ? "\(pid): \(commandLine)" : nil
        }
    }

    /// Blocks until process `pid` has ended (tail --pid), at most `seconds`; true if it ended.
    private func waitForEnd(of pid: String, seconds: Int) throws -> Bool {
        let tail = Process()
        tail.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tail.arguments = ["timeout", String(seconds), "tail", "--pid=\(pid)", "-f", "/dev/null"]
        try tail.run()
        tail.waitUntilExit()
        return tail.terminationStatus == 0
    }

    @Test func harnessKilledOutrightTakesItsQEMUAlong() throws {
        guard FileManager.default.isExecutableFile(atPath: harnessBinary) else {
            Issue.record("no harness binary at \(harnessBinary): run `swift build` first")
            return
        }
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
        let harness = Process()
        harness.executableURL = URL(fileURLWithPath: harnessBinary)
        harness.arguments = [folder.path, "--seed", String(seed), "--verbose",
                             "--junit", folder.appendingPathComponent("junit.xml").path,
                             "--artifacts", folder.appendingPathComponent("artifacts").path]
        let stderr = Pipe()
        harness.standardError = stderr
        harness.standardOutput = Pipe()
        try harness.run()
        var seen = ""
        while !seen.contains("kernel: ready") {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        let qemu = processes(containing: "seed=\(seed)")
        #expect(qemu.count == 1)
        kill(harness.processIdentifier, SIGKILL)
        harness.waitUntilExit()
        let pid = qemu.first.map { String($0.prefix { $0 != ":" }) } ?? "0"
        #expect(try waitForEnd(of: pid, seconds: 10), "QEMU \(pid) outlived the harness")
        #expect(processes(containing: "seed=\(seed)").isEmpty)
        // Its socket directory stayed behind; the next harness clears it away.
        let directory = qemu.first.flatMap { $0.range(of: "path=") }.map { range in
            String(qemu.first![range.upperBound...].prefix { $0 != "," && $0 != " " })
        }.map { ($0 as NSString).deletingLastPathComponent }
        #expect(directory.map { FileManager.default.fileExists(atPath: $0) } == true)
        #expect(QEMUMachine.removeAbandonedSocketDirectories().contains(directory ?? ""))
        #expect(directory.map { FileManager.default.fileExists(atPath: $0) } == false)
    }

    @Test func sigintLeavesNoQEMUAndAValidPartialReport() throws {
        guard FileManager.default.isExecutableFile(atPath: harnessBinary) else {
            Issue.record("no harness binary at \(harnessBinary): run `swift build` first")
            return
        }
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let longRun = """
            machine: {cmdline: "debug=silent seed={seed}"}
            watchdogs: {silence: 120s, deadline: 300s}
            steps:
              - wait-serial: "kernel: ready"
              - pause: 120s
            expect: running
            """
        try longRun.write(to: folder.appendingPathComponent("first.yaml"), atomically: true, encoding: .utf8)
        try longRun.write(to: folder.appendingPathComponent("second.yaml"), atomically: true, encoding: .utf8)
        let seed = UInt64.random(in: 1_000_000...9_000_000)
        let junit = folder.appendingPathComponent("junit.xml").path

        let harness = Process()
        harness.executableURL = URL(fileURLWithPath: harnessBinary)
        harness.arguments = [folder.path, "--jobs", "2", "--seed", String(seed), "--verbose",
                             "--junit", junit, "--artifacts", folder.appendingPathComponent("artifacts").path]
        let stderr = Pipe()
        harness.standardError = stderr
        harness.standardOutput = Pipe()
        try harness.run()

        // Wait (blocking reads, no sleeps) until both guests have booted.
        var seen = ""
        while seen.components(separatedBy: "kernel: ready").count - 1 < 2 {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(processes(containing: "seed=\(seed)").count == 2, "two QEMUs run before the interrupt")
        harness.interrupt()
        let rest = stderr.fileHandleForReading.readDataToEndOfFile()
        harness.waitUntilExit()
        let output = seen + String(decoding: rest, as: UTF8.self)

        #expect(harness.terminationStatus == 130, "\(output)")
        #expect(processes(containing: "seed=\(seed)").isEmpty, "no QEMU outlives the harness")
        #expect(output.contains("interrupted"))
        #expect(try SchemaValidator.problems(in: junit) == nil)
        let report = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(report.components(separatedBy: "<skipped>interrupted by signal 2").count - 1 == 2)
    }
}
