// Ctrl-C in the middle of a run, through the real harness binary: no QEMU may survive, and the
// report must still be written and valid.
import Foundation
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
