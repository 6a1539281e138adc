// Progress while running. On a terminal: one line per running VM, redrawn in place (at most a
// few times a second, and only when something changed: no timer), and during a hunt
// (`--repeat`, `--until-failure`) a last line with the hunt's progress (HuntProgress). Otherwise:
// plain lines, and the hunt's line when a run ends at least `huntLineInterval` after the last one.
import Foundation
import HostSystem
import QEMUMachine

public final class ProgressDisplay: RunObserver {
    private let interactive: Bool
    private let verbose: Bool
    private let output: FileHandle
    private let lock = NSLock()
    private var slots: [Int: (name: String, started: MonotonicInstant, last: String)] = [:]
    private var drawnLines = 0
    private var lastDraw = MonotonicInstant(nanoseconds: 0)
    private static let minimumRedrawInterval = 0.25
    /// A long hunt's progress, when this run is one.
    private var hunt: HuntProgress?
    private var lastHuntLine: MonotonicInstant?
    /// Seconds between two hunt lines in a log (a CI log gets a line every so often, not a flood).
    public static let huntLineInterval = 30.0

    public init(output: FileHandle = .standardError, verbose: Bool, interactive: Bool? = nil, hunt: HuntProgress? = nil) {
        self.output = output
        self.verbose = verbose
        self.interactive = interactive ?? (isatty(output.fileDescriptor) == 1 && !verbose)
        self.hunt = hunt
    }

    public func runStarted(slot: Int, request: RunRequest) {
        let name = label(request)
        locked {
            hunt?.runStarted(at: .now)
            slots[slot] = (name, .now, "starting")
            if interactive { redraw(force: true) } else { emit("harness: start \(name) (seed \(request.seed))") }
        }
    }

    public func runPrinted(slot: Int, request: RunRequest, line: SerialLine) {
        locked {
            slots[slot]?.last = line.text
            if verbose { emit("[\(label(request))] \(line.text)") }
            if interactive { redraw(force: false) }
        }
    }

    public func runDiagnosing(slot: Int, request: RunRequest, watchdog: Watchdog) {
        locked {
            slots[slot]?.last = "diagnosing (\(watchdog.rawValue) watchdog)"
            if interactive {
                redraw(force: true)
            } else {
                emit("harness: diagnosing \(label(request)) (\(watchdog.rawValue) watchdog)")
            }
        }
    }

    public func runFinished(slot: Int, result: RunResult) {
        locked {
            slots[slot] = nil
            hunt?.runFinished(result.verdict.status)
            var lines = [
                "\(Self.mark(result.verdict.status)) \(result.displayName) (\(result.duration.fixed1)s): \(result.verdict.message)"
            ]
            lines += result.warnings.map { "    WARNING: " + $0 }
            if !result.verdict.isSuccess && result.verdict.status != .skipped {
                lines += result.verdict.details.map { "    " + $0 }
                if let artifacts = result.artifacts { lines.append("    artifacts: \(artifacts)") }
                lines.append("    rerun: \(result.rerunCommand)")
            }
            if interactive {
                clearBlock()
                lines.forEach(emit)
                redraw(force: true)
            } else {
                lines.forEach { emit("harness: " + $0) }
                emitHuntLineIfDue()
            }
        }
    }

    /// In a log: the hunt's line at most every `huntLineInterval` seconds, and after its last run.
    private func emitHuntLineIfDue() {
        guard let hunt, let startedAt = hunt.startedAt else { return }
        let now = MonotonicInstant.now
        let finishedAll = hunt.total.map { hunt.done >= $0 } ?? false
        guard finishedAll || now.seconds(since: lastHuntLine ?? startedAt) >= Self.huntLineInterval else { return }
        lastHuntLine = now
        emit(hunt.line(at: now))
    }

    /// A line of its own between the runs' lines (a problem the harness itself met).
    public func note(_ line: String) {
        locked {
            if interactive { clearBlock() }
            emit(line)
            if interactive { redraw(force: true) }
        }
    }

    /// Removes the live block before the summary is printed.
    public func finish() {
        locked { if interactive { clearBlock() } }
    }

    static func mark(_ status: Verdict.Status) -> String {
        switch status {
        case .passed: return "PASS"
        case .failed: return "FAIL"
        case .error: return "ERROR"
        case .skipped: return "SKIP"
        }
    }

    private func label(_ request: RunRequest) -> String {
        request.attempt > 1 ? "\(request.scenario.name) #\(request.attempt)" : request.scenario.name
    }

    private func redraw(force: Bool) {
        let now = MonotonicInstant.now
        guard force || now.seconds(since: lastDraw) >= Self.minimumRedrawInterval else { return }
        lastDraw = now
        clearBlock()
        let width = terminalWidth()
        for slot in slots.keys.sorted() {
            let entry = slots[slot]!
            let head = "  … \(entry.name) \(now.seconds(since: entry.started).fixed1)s │ "
            let room = max(0, width - head.count - 1)
            emit(head + String(entry.last.prefix(room)))
        }
        drawnLines = slots.count
        if let hunt, hunt.startedAt != nil {
            emit(String(hunt.line(at: now).prefix(width - 1)))
            drawnLines += 1
        }
    }

    private func clearBlock() {
        guard drawnLines > 0 else { return }
        // Up to the first line of the block, then clear to the end of the screen.
        write("\u{1B}[\(drawnLines)A\r\u{1B}[J")
        drawnLines = 0
    }

    private func emit(_ line: String) { write(line + "\n") }

    private func write(_ text: String) { output.write(text.data(using: .utf8)!) }

    private func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(output.fileDescriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
        return 100
    }

    private func locked(_ body: () -> Void) {
        lock.lock()
        body()
        lock.unlock()
    }
}
