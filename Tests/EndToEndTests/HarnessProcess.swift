// The real harness binary as a child of a test: started with flags, its stderr read until a
// line appears (an event, never a sleep), and what it may leave behind looked up in /proc and
// in $TMPDIR.
import Foundation
import TestSupport
import Testing

final class HarnessProcess {
    static var binary: String { KernelScenario.repository.appendingPathComponent(".build/debug/harness").path }

    let process = Process()
    private let stderr = Pipe()
    /// Everything read from its stderr so far.
    private(set) var output = ""

    struct BinaryMissing: Error, CustomStringConvertible {
        var description: String { "no harness binary at \(HarnessProcess.binary): run `swift build` first" }
    }

    /// - Parameter temporaryDirectory: its TMPDIR, where its VMs' socket directories go.
    /// - Parameter environment: variables set on top of the test's own.
    /// The repository's kernel directory is allowed (`--allow-dir`): test scenarios live in $TMPDIR.
    init(_ arguments: [String], temporaryDirectory: String? = nil, environment extra: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { throw BinaryMissing() }
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments + ["--allow-dir", KernelScenario.kernelDirectory]
        if temporaryDirectory != nil || !extra.isEmpty {
            var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
            if let temporaryDirectory { environment["TMPDIR"] = temporaryDirectory }
            process.environment = environment
        }
        self.temporaryDirectory = temporaryDirectory
        process.standardError = stderr
        process.standardOutput = Pipe()
        try process.run()
    }

    var pid: pid_t { process.processIdentifier }
    private let temporaryDirectory: String?

    /// Reads stderr (blocking) until `text` has appeared `count` times; false if it ended first.
    @discardableResult
    func read(until text: String, count: Int = 1) -> Bool {
        while output.components(separatedBy: text).count - 1 < count {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { return false }
            output += String(decoding: chunk, as: UTF8.self)
        }
        return true
    }

    /// Reads stderr to its end, calling `sample` after every piece (an event to sample on).
    func readToEnd(sampling sample: () -> Void) {
        while true {
            sample()
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { return }
            output += String(decoding: chunk, as: UTF8.self)
        }
    }

    /// Its live child processes that run a QEMU (started through setpriv, which execs QEMU, or
    /// bubblewrap, which holds it in a sandbox: QEMUSandbox).
    var qemuChildren: [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.filter { child in
            // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && fields[1] == "\(pid)" && fields[0] != "Z"
                && (stat.contains("(qemu-system") || stat.contains("(bwrap)"))
        }
    }

    /// Runs the binary to its end with exactly `arguments` (no `--allow-dir` added: `merge` takes
    /// none); `errors` holds its stderr and then its stdout.
    static func run(_ arguments: [String]) throws -> (status: Int32, errors: String) {
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BinaryMissing() }
        let result = try Tool.run([binary] + arguments)
        return (result.status, result.errors + result.output)
    }

    /// Reads the rest of stderr and waits for the exit; returns the exit status.
    func finish() -> Int32 {
        output += String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Processes whose command line contains `text` (QEMU's -append carries the seed; so do the
    /// bubblewrap processes around it). With `qemuOnly`, only the QEMUs themselves.
    static func processes(containing text: String, qemuOnly: Bool = false) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            if qemuOnly, !((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "").hasPrefix("qemu-system") {
                return nil
            }
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return commandLine.contains(text) ? "\(pid): \(commandLine)" : nil
        }
    }

    /// VM socket directories ($TMPDIR/harness-vm.*) this harness created and left.
    var leftoverDirectories: [String] {
        let base = temporaryDirectory ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        return names.filter { $0.hasPrefix("harness-vm.") }.map { "\(base)/\($0)" }.filter { directory in
            let owner = (try? String(contentsOfFile: "\(directory)/owner.pid", encoding: .utf8)) ?? ""
            return owner.trimmingCharacters(in: .whitespacesAndNewlines) == String(pid)
        }
    }
}
