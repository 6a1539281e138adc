// Proof of reproduction: a deterministic run that failed is run again at once with the same
// seed, and the two are compared: `reproduced: identical (N bytes, same verdict)`, or the first
// serial line where they part. The rerun's artifacts go inside the first run's folder
// (`reproduction/`), so the evidence of both stays together.
import Foundation
import HostSystem
import QEMUMachine
import Scenario

public enum Reproduction {
    /// Whether `result` calls for a rerun: a deterministic run that failed on its own (not a
    /// launch or infrastructure fault, not an interruption) and whose steps keep it replayable.
    static func isWanted(_ result: RunResult, options: RunOptions) -> Bool {
        guard options.reproduceFailures, !InterruptSignal.wasReceived,
            result.verdict.status == .failed || result.verdict.status == .error,
            ![.launchFailure, .infrastructure, .interrupted].contains(result.verdict.kind),
            property("mode", of: result) == MachineMode.deterministic.rawValue,
            let replay = property("deterministic", of: result), !replay.hasPrefix("no:")
        else { return false }
        return true
    }

    /// Reruns `request` and returns `first` with the comparison in its verdict and properties.
    static func check(_ first: RunResult, request: RunRequest, options: RunOptions) -> RunResult {
        var rerunOptions = options
        rerunOptions.artifactsDirectory = (first.artifacts ?? options.artifactsDirectory) + "/reproduction"
        rerunOptions.keepSerialLog = true
        rerunOptions.reproduceFailures = false
        rerunOptions.keepVMOnFailure = false
        // The first run's recording is the one to debug; the rerun only proves the seed (in
        // deterministic mode, which --record implied).
        rerunOptions.deterministic = options.deterministic || options.record
        rerunOptions.record = false
        let rerun = ScenarioRun(request, options: rerunOptions)
        let second = rerun.execute()
        let line = compare(
            first, second, firstLog: first.artifacts.map { "\($0)/serial.log" },
            secondLog: rerun.artifactsPath + "/serial.log")
        var result = first
        result.verdict.details.append(line)
        result.properties.append(("reproduced", line.replacingOccurrences(of: "reproduced: ", with: "")))
        if let folder = first.artifacts {
            // verdict.txt was written before the rerun: the comparison joins it.
            if let handle = FileHandle(forWritingAtPath: "\(folder)/verdict.txt") {
                handle.seekToEndOfFile()
                handle.write(Data("\n\(line)\nrerun's artifacts: \(rerun.artifactsPath)\n".utf8))
                handle.closeFile()
            }
        }
        return result
    }

    /// The report's line about two runs of one seed.
    public static func compare(_ first: RunResult, _ second: RunResult, firstLog: String?, secondLog: String) -> String {
        let sameVerdict =
            first.verdict.status == second.verdict.status && first.verdict.kind == second.verdict.kind
            && first.verdict.watchdog == second.verdict.watchdog
        let verdictText =
            sameVerdict
            ? "same verdict"
            : "different verdict: \(second.verdict.status.rawValue) (\(second.verdict.kind.rawValue)): \(second.verdict.message)"
        if let hash = property("serial.sha256", of: first), hash == property("serial.sha256", of: second) {
            return "reproduced: identical (\(first.serialBytes) bytes, \(verdictText))"
        }
        guard let firstLog, let a = lines(ofLog: firstLog), let b = lines(ofLog: secondLog) else {
            return
                "reproduced: NOT identical (serial.sha256 differs; a serial.log is missing, so no line is named; \(verdictText))"
        }
        let index = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        // A run the harness ended (a watchdog, `expect: running`) stops at a host-chosen moment:
        // when one console is the other's beginning (its last line perhaps cut short), the two
        // are one execution.
        let endedByHarness = first.verdict.watchdog.map { $0 != .qemuGone && $0 != .guestPanic && $0 != .tripleFault } ?? false
        if endedByHarness, index >= min(a.count, b.count) - 1 {
            return
                "reproduced: identical up to where the harness ended the runs (\(index) lines alike, then \(a.count - index) and \(b.count - index) more; \(verdictText))"
        }
        let left = index < a.count ? a[index] : "(end of output)"
        let right = index < b.count ? b[index] : "(end of output)"
        return
            "reproduced: NOT identical: serial line \(index + 1) differs: first run '\(left)', rerun '\(right)' (\(verdictText))"
    }

    /// A serial.log's lines without their `[   1.234] ` timestamps.
    public static func lines(ofLog path: String) -> [String]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var raw = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if raw.last?.isEmpty == true { raw.removeLast() }
        return raw.map { line in
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return String(line) }
            return String(line[line.index(after: close)...].dropFirst())
        }
    }

    static func property(_ name: String, of result: RunResult) -> String? {
        result.properties.first { $0.name == name }?.value
    }
}
