// Keeps the JUnit report current while the suite runs.
import Foundation
import QEMUMachine
import Runner

/// Rewrites the JUnit file after every finished run, so even a harness killed outright leaves
/// a report of what finished.
public final class IncrementalReport: RunObserver {
    private let path: String
    private let display: ProgressDisplay
    private let lock = NSLock()
    /// Each finished run's `<testsuite>`, made once.
    private var suites: [JUnitReport.Suite] = []

    public init(path: String, forwardingTo display: ProgressDisplay) {
        self.path = path
        self.display = display
    }

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
        suites.append(JUnitReport(results: []).suite(for: result))
        var firstFailure: Error?
        do {
            try JUnitReport.write(JUnitReport.document(suites: suites), to: path)
            writeFailure = nil
        } catch {
            if writeFailure.map({ "\($0)" }) != "\(error)" { firstFailure = error }
            writeFailure = error
        }
        lock.unlock()
        display.runFinished(slot: slot, result: result)
        if let firstFailure { display.note("harness: cannot write the JUnit report \(path): \(firstFailure)") }
    }
}
