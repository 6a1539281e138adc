// Runs the profiles' `build:` commands before anything boots, as kunit.py builds what it boots:
// each distinct command once per harness run, its output passed through, its last lines kept
// for the runs of the images it should have made when it fails. Only a profiles.yaml inside the
// current working directory (the tree whose Makefile you run anyway) may run one; any other is
// printed and skipped: scenario libraries are untrusted input (docs/harness.md).
import Foundation
import Scenario

public enum KernelBuilder {
    public struct Outcome {
        /// Image path → why its runs fail (the build's exit and last lines).
        public var failedImages: [String: String] = [:]
        /// Build commands not run, and why.
        public var skipped: [KernelBuild: String] = [:]
    }

    /// Lines of a failed build's output kept for its runs' verdicts.
    public static let keptLines = 20

    /// Builds what `scenarios` boot. `enabled` false (`--no-build`) runs nothing. `print` gets
    /// what the harness says and the build's own output.
    public static func build(for scenarios: [Scenario], enabled: Bool, print: (String) -> Void) -> Outcome {
        var outcome = Outcome()
        var rules: [KernelBuild] = []
        var images: [KernelBuild: Set<String>] = [:]
        for scenario in scenarios {
            guard let rule = scenario.kernelBuild, let kernel = scenario.machine.kernel else { continue }
            if images[rule] == nil { rules.append(rule) }
            images[rule, default: []].insert(kernel)
        }
        for rule in rules {
            guard enabled else {
                outcome.skipped[rule] = "--no-build"
                continue
            }
            guard isTrusted(rule) else {
                let reason = "\(rule.file) is outside the current directory, so its build command is not run"
                print("harness: not running `\(rule.command)` (\(rule.location)): \(reason)")
                outcome.skipped[rule] = reason
                continue
            }
            print("harness: building: `\(rule.command)` in \(rule.folder) (\(rule.location))")
            let started = Date()
            switch run(rule, print: print) {
            case nil:
                print("harness: built in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            case let failure?:
                print("harness: build failed: \(failure)")
                for image in images[rule] ?? [] { outcome.failedImages[image] = failure }
            }
        }
        return outcome
    }

    /// A profiles.yaml inside the current working directory (symlinks resolved).
    static func isTrusted(_ rule: KernelBuild) -> Bool {
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).resolvingSymlinksInPath().path
        let file = URL(fileURLWithPath: rule.file).absoluteURL.resolvingSymlinksInPath().path
        return file.hasPrefix(here.hasSuffix("/") ? here : here + "/")
    }

    /// nil on success; else the exit status and the output's last lines.
    private static func run(_ rule: KernelBuild, print: (String) -> Void) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", rule.command]
        process.currentDirectoryURL = URL(fileURLWithPath: rule.folder)
        process.standardInput = FileHandle.nullDevice
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            return "`\(rule.command)` in \(rule.folder) could not start: \(error)"
        }
        var tail: [String] = []
        var partial = Data()
        let reader = output.fileHandleForReading
        while case let chunk = reader.availableData, !chunk.isEmpty {
            partial.append(chunk)
            while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: partial[partial.startIndex..<newline], as: UTF8.self)
                partial.removeSubrange(partial.startIndex...newline)
                print("  \(line)")
                tail.append(line)
                if tail.count > keptLines { tail.removeFirst() }
            }
        }
        if !partial.isEmpty {
            let line = String(decoding: partial, as: UTF8.self)
            print("  \(line)")
            tail.append(line)
            if tail.count > keptLines { tail.removeFirst() }
        }
        process.waitUntilExit()
        guard process.terminationStatus != 0 || process.terminationReason != .exit else { return nil }
        let status =
            process.terminationReason == .exit
            ? "exit status \(process.terminationStatus)"
            : "signal \(process.terminationStatus)"
        return "`\(rule.command)` (\(rule.location)) failed with \(status); its last lines:\n" + tail.joined(separator: "\n")
    }
}
