// Keeps the JUnit report current while the suite runs.
import Foundation
import QEMUMachine
import Runner

/// Rewrites the JUnit file after every finished run, so even a harness killed outright leaves
/// a report of what finished. Each run's `<testsuite>` is made once and appended to a spill file
/// beside the report (`.NAME.PID.suites`); the report is the header, the spill and the footer,
/// so neither the time nor the memory of a run grows with the number of runs before it. The
/// runs appear in the order they finished.
public final class IncrementalReport: RunObserver {
    private let path: String
    private let spillPath: String
    private let display: ProgressDisplay
    private let lock = NSLock()
    private var spill: FileHandle?
    private var totals = JUnitReport.Totals()
    /// Runs whose suite never reached the spill: the final report would be missing them.
    private var lostRuns = 0

    public init(path: String, forwardingTo display: ProgressDisplay) {
        self.path = path
        self.display = display
        let url = URL(fileURLWithPath: path)
        spillPath = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).suites").path
    }

    deinit { removeSpill() }

    public func runStarted(slot: Int, request: RunRequest) { display.runStarted(slot: slot, request: request) }

    public func runPrinted(slot: Int, request: RunRequest, line: SerialLine) {
        display.runPrinted(slot: slot, request: request, line: line)
    }

    public func runDiagnosing(slot: Int, request: RunRequest, watchdog: Watchdog) {
        display.runDiagnosing(slot: slot, request: request, watchdog: watchdog)
    }

    /// The last write's failure, if the report on disk is behind (said once per kind of error).
    public private(set) var writeFailure: Error?

    public func runFinished(slot: Int, result: RunResult) {
        lock.lock()
        var firstFailure: Error?
        do {
            let suite = JUnitReport(results: []).suite(for: result)
            do {
                try append(suite.xml)
            } catch {
                lostRuns += 1
                throw error
            }
            totals.add(suite)
            try writeReport()
            writeFailure = nil
        } catch {
            if writeFailure.map({ "\($0)" }) != "\(error)" { firstFailure = error }
            writeFailure = error
        }
        lock.unlock()
        display.runFinished(slot: slot, result: result)
        if let firstFailure { display.note("harness: cannot write the JUnit report \(path): \(firstFailure)") }
    }

    /// The final report (also when no run finished); the spill file goes away either way. A run
    /// that could not be recorded makes this throw: a report without it must not pass for whole.
    public func finish() throws {
        lock.lock()
        defer {
            removeSpill()
            lock.unlock()
        }
        if lostRuns > 0 {
            unlink(path)
            throw ReportWriteError(
                path: path, cause: writeFailure ?? CocoaError(.fileWriteUnknown),
                lostRuns: lostRuns)
        }
        try writeReport()
    }

    /// Adds a suite to the spill; on failure (a full disk) cuts off what part of it was written,
    /// so the spill always holds whole suites.
    private func append(_ xml: String) throws {
        if spill == nil {
            // The report's folder may not exist yet (`--junit build/shard-1/junit.xml`).
            let folder = URL(fileURLWithPath: spillPath).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw ReportWriteError(path: spillPath, cause: error)
            }
            guard FileManager.default.createFile(atPath: spillPath, contents: nil) else {
                throw ReportWriteError(path: spillPath, cause: CocoaError(.fileWriteUnknown))
            }
            spill = try FileHandle(forWritingTo: URL(fileURLWithPath: spillPath))
        }
        guard let spill else { return }
        let before = try spill.offset()
        do {
            try spill.write(contentsOf: Data(xml.utf8))
        } catch {
            try? spill.truncate(atOffset: before)
            throw ReportWriteError(path: spillPath, cause: error)
        }
    }

    private func writeReport() throws {
        try JUnitReport.write(to: path) { out in
            try out.write(contentsOf: Data(JUnitReport.header(totals: totals).utf8))
            if spill != nil {
                let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: spillPath))
                defer { try? input.close() }
                while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try out.write(contentsOf: chunk)
                }
            }
            try out.write(contentsOf: Data(JUnitReport.footer.utf8))
        }
    }

    private func removeSpill() {
        try? spill?.close()
        spill = nil
        unlink(spillPath)
    }
}
