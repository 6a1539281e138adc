// Watches one run as it happens: every serial line and QMP event goes through here, which keeps
// the watchdogs' clocks, the KTAP parser, captures and the facts the verdict is made of.
import HostSystem
import KTAP
import KernelSymbols
import QEMUMachine
import QMP
import Scenario
import Trend

/// Thrown out of a wait when a watchdog fires.
struct WatchdogFired: Error {
    let watchdog: Watchdog
}

/// Thrown out of a wait when the run has ended (QEMU exited, the guest panicked or
/// triple-faulted, a forbidden line appeared): the steps cannot go on.
struct RunEnded: Error {}

final class RunMonitor {
    /// Lines and events not yet consumed by a wait step are kept up to this many (and lines up
    /// to `backlogByteLimit` bytes): a flooding guest must not grow the harness.
    static let backlogLimit = 10_000
    static let backlogByteLimit = 1 << 20
    /// After a panic is seen, a report that stops printing for this long without its last line
    /// is taken as ended anyway (a kernel that died mid-report). Counted from the last output, not
    /// from the panic: on a loaded host a report can take longer than this to print.
    static let panicReportGrace = 3.0

    let scenario: Scenario
    private let machineSerial: SerialConsole
    let startedAt: MonotonicInstant
    private(set) var ktap = KTAPParser()
    private(set) var forbidden: (pattern: Pattern, line: String)?
    private(set) var panicLine: String?
    /// The title of the panic line's report (nil for the contract's own `panic-line`).
    private(set) var panicTitle: String?
    /// The contract's own `panic-line` matched (an expected panic of such a kernel needs it).
    private(set) var contractPanicLineSeen = false
    /// The contract's extra and the built-in panic lines, read once.
    private let panicLines: [PanicLine]
    private(set) var panicSeenAt: MonotonicInstant?
    private(set) var panicReportEnded = false
    private(set) var guestPanickedEvent = false
    /// CPUs the panic report accounted for (the contract's `panic-cpu-line`).
    private(set) var panicCPUs: Set<Int> = []
    private(set) var tripleFault = false
    private(set) var stoppedByQEMU = false
    /// `stop` commands the scenario sent whose STOP event has not come yet.
    var stopsRequested = 0
    private(set) var exit: ProcessExit?
    private(set) var expectedPanicMatched = false
    private(set) var firstLineAt: MonotonicInstant?
    private(set) var captures: [String: Int64] = [:]
    /// Where a relocating kernel put itself (its contract's `kaslr-offset` line), once seen.
    private(set) var kernelOffset: UInt64?
    /// `trend:` samples; nil until sampling starts.
    private(set) var trend: TrendSeries?

    private var paused = false
    private var resumedAt: MonotonicInstant
    private var lastProgressAt: MonotonicInstant
    private var lastProgressLine: String?
    private(set) var lineBacklog: [SerialLine] = []
    private var backlogBytes = 0
    /// Lines at the front of the backlog already known not to match `pattern`: a wait step is
    /// re-checked on every wakeup, and without this it re-read the whole backlog each time (a
    /// 10-minute soak waiting for its last line: up to 10,000 lines per wakeup, a third of a core).
    private var scanned: (pattern: Pattern, lines: Int)?
    private(set) var eventBacklog: [QMPEvent] = []
    /// `watchdogs.display`: when the watch began (its `after` line, or the start), whether its
    /// `until` line ended it, and the last screenshot and the last one that differed from the
    /// screenshot before it (ScenarioRun takes them, ScreenRecorder compares them).
    private(set) var displayArmedAt: MonotonicInstant?
    private var displayEnded = false
    private(set) var screenSampledAt: MonotonicInstant?
    private(set) var screenChangedAt: MonotonicInstant?
    /// Screenshots taken since the screen last changed.
    private(set) var unchangedSamples = 0
    /// Called for every line (the progress display).
    var onLine: ((SerialLine) -> Void)?

    /// The contract's `panic-halt` option is on the command line (ours: `panic=halt`): after a
    /// panic the kernel leaves every CPU stopped for a debugger (the report then ends with the
    /// contract's halted line) instead of exiting.
    let haltsAfterPanic: Bool
    /// The report's last line, when the contract names one.
    private let reportLastLine: Pattern?

    init(scenario: Scenario, serial: SerialConsole) {
        self.scenario = scenario
        let contract = scenario.contract
        haltsAfterPanic = contract.haltsAfterPanic(scenario.machine.commandLine)
        reportLastLine = haltsAfterPanic ? contract.panicHaltedLine : contract.panicReportEnd
        panicLines = contract.panicLines
        machineSerial = serial
        startedAt = .now
        resumedAt = startedAt
        lastProgressAt = startedAt
        if let display = scenario.watchdogs.display, display.after == nil { displayArmedAt = startedAt }
    }

    // MARK: what comes in

    func observe(_ line: SerialLine) {
        let now = MonotonicInstant.now
        if firstLineAt == nil { firstLineAt = now }
        let text = line.text
        ktap.feed(text[...], at: line.time)
        if forbidden == nil, let pattern = scenario.never.first(where: { $0.matches(text) }) {
            forbidden = (pattern, text)
        }
        if case .panic(let pattern) = scenario.expectation, pattern.matches(text) {
            expectedPanicMatched = true
        }
        if panicLine == nil {
            if let pattern = scenario.contract.panicLine, pattern.matches(text) {
                panicLine = text
                contractPanicLineSeen = true
            } else if let title = panicLines.lazy.compactMap({ $0.title(for: text) }).first {
                panicLine = text
                panicTitle = title
            }
            if panicLine != nil && panicSeenAt == nil { panicSeenAt = now }
        }
        if panicSeenAt != nil {
            if let cpu = scenario.contract.panicCPU(in: text) { panicCPUs.insert(cpu) }
            if let end = reportLastLine, end.matches(text) { panicReportEnded = true }
        }
        if let kaslr = scenario.contract.kaslrOffset, kernelOffset == nil {
            let symbols =
                kaslr.symbol == nil
                ? nil
                : scenario.machine.kernel.flatMap {
                    SymbolMapCache.shared.map(forImage: $0, symbols: scenario.machine.symbols)
                }
            if let offset = kaslr.offset(in: text, symbols: symbols) { kernelOffset = offset }
        }
        if let spec = scenario.trend { sample(text, spec: spec, at: now) }
        if let display = scenario.watchdogs.display, !displayEnded {
            if displayArmedAt == nil {
                if display.after?.matches(text) == true { displayArmedAt = now }
            } else if display.until?.matches(text) == true {
                displayEnded = true
            }
        }
        if let progress = scenario.watchdogs.progress, progress.pattern.matches(text), text != lastProgressLine {
            lastProgressLine = text
            lastProgressAt = now
        }
        if lineBacklog.count >= Self.backlogLimit || backlogBytes > Self.backlogByteLimit {
            let dropped = lineBacklog.count / 2
            backlogBytes -= lineBacklog.prefix(dropped).reduce(0) { $0 + $1.text.utf8.count }
            lineBacklog.removeFirst(dropped)
            if let memo = scanned { scanned = (memo.pattern, max(0, memo.lines - dropped)) }
        }
        lineBacklog.append(line)
        backlogBytes += text.utf8.count
        onLine?(line)
    }

    func observe(_ event: QMPEvent) {
        switch event.name {
        case "STOP":
            paused = true
            // The scenario's own `stop` is expected; any other STOP is QEMU halting the guest
            // by itself (a KVM internal error, an I/O error): nothing will happen any more.
            if stopsRequested > 0 { stopsRequested -= 1 } else { stoppedByQEMU = true }
        case "RESUME":
            paused = false
            resumedAt = .now
            lastProgressAt = max(lastProgressAt, resumedAt)
        case "SHUTDOWN" where event.data["reason"] == "guest-reset":
            tripleFault = true
        case "RESET" where event.data["reason"] == "guest-reset":
            tripleFault = true
        case "GUEST_PANICKED":
            guestPanickedEvent = true
            if panicSeenAt == nil { panicSeenAt = .now }
        default:
            break
        }
        if eventBacklog.count >= Self.backlogLimit { eventBacklog.removeFirst(eventBacklog.count / 2) }
        eventBacklog.append(event)
    }

    func exited(_ status: ProcessExit) {
        exit = status
        if let panicExit = scenario.contract.panicExit, status == .exited(panicExit), panicSeenAt == nil { panicSeenAt = .now }
    }

    /// A screenshot was taken; `changed`: it differs from the one before.
    func observeScreen(changed: Bool, at now: MonotonicInstant = .now) {
        screenSampledAt = now
        if changed {
            screenChangedAt = now
            unchangedSamples = 0
        } else {
            unchangedSamples += 1
        }
    }

    // MARK: consuming lines and events (expect-style: each is matched at most once)

    /// Removes backlog lines up to and including the first one matching `pattern`.
    func takeLine(matching pattern: Pattern) -> String? { takeSerialLine(matching: pattern)?.text }

    /// The same, keeping when the line came.
    func takeSerialLine(matching pattern: Pattern) -> SerialLine? {
        let start = scanned.flatMap { $0.pattern == pattern ? min($0.lines, lineBacklog.count) : nil } ?? 0
        guard let index = lineBacklog[start...].firstIndex(where: { pattern.matches($0.text) }) else {
            scanned = (pattern, lineBacklog.count)
            return nil
        }
        let line = lineBacklog[index]
        backlogBytes -= lineBacklog.prefix(index + 1).reduce(0) { $0 + $1.text.utf8.count }
        lineBacklog.removeFirst(index + 1)
        scanned = nil
        return line
    }

    func takeEvent(_ name: String, data: JSONValue?) -> QMPEvent? {
        guard let index = eventBacklog.firstIndex(where: { $0.matches(name: name, data: data) }) else { return nil }
        let event = eventBacklog[index]
        eventBacklog.removeFirst(index + 1)
        return event
    }

    /// Stores one captured value (a `gdb: {read: ...}` step's words).
    func store(_ name: String, _ value: Int64) { captures[name] = value }

    /// Stores each `key=value` integer of a metrics line as `<name>.<key>`, and with `at` (the
    /// line's seconds since QEMU's launch) `<name>.at_ms`: when the harness saw it.
    func capture(_ line: String, as name: String, at time: Double? = nil) -> Int {
        if let time { captures["\(name).at_ms"] = Int64((time * 1000).rounded()) }
        let fields = TrendSeries.fields(of: line)
        for (key, value) in fields { captures["\(name).\(key)"] = value }
        return fields.count
    }

    /// `trend:`: records the figures of a sampled line, once the `after` line has been seen.
    private func sample(_ text: String, spec: TrendSpec, at now: MonotonicInstant) {
        if trend == nil, spec.after?.matches(text) ?? true { trend = TrendSeries(keys: spec.keys) }
        guard trend != nil, spec.pattern.matches(text) else { return }
        trend!.record(time: now.seconds(since: startedAt), fields: TrendSeries.fields(of: text))
    }

    // MARK: state

    /// What happened so far, for the verdict rules (the step's place is the run's to add).
    var facts: RunFacts {
        var facts = RunFacts()
        facts.forbidden = forbidden
        facts.tripleFault = tripleFault
        facts.panicked = panicked
        facts.panicLine = panicLine
        facts.panicTitle = panicTitle
        facts.contractPanicLineSeen = contractPanicLineSeen
        facts.guestPanickedEvent = guestPanickedEvent
        facts.panicCPUs = panicCPUs
        facts.expectedPanicMatched = expectedPanicMatched
        facts.haltsAfterPanic = haltsAfterPanic
        facts.stoppedByQEMU = stoppedByQEMU
        facts.exit = exit
        facts.ktap = ktap
        return facts
    }

    var panicked: Bool { panicSeenAt != nil }

    /// The run cannot go on: QEMU is gone, the guest triple-faulted, a forbidden line appeared,
    /// or a panic's report is complete (or had its grace period).
    var hasEnded: Bool {
        // After an exit, wait for the console's end too: QEMU's last lines may still be in
        // the socket when its stderr closes, and KTAP's last results are among them.
        if exit != nil && machineSerial.reachedEnd { return true }
        if tripleFault || forbidden != nil || stoppedByQEMU { return true }
        if let panicSeenAt {
            let quietSince = max(panicSeenAt, machineSerial.lastOutput).adding(seconds: Self.panicReportGrace)
            // A kernel whose contract gives a panic exit status is given the same grace after its
            // report to exit with it: one that prints its report and then hangs must not pass.
            if awaitsPanicExit { return MonotonicInstant.now >= quietSince }
            return panicReportEnded || MonotonicInstant.now >= quietSince
        }
        return false
    }

    /// After a panic the kernel is to exit with the contract's panic status, and has not yet.
    private var awaitsPanicExit: Bool { scenario.contract.panicExit != nil && !haltsAfterPanic && exit == nil }

    // MARK: watchdogs

    private var silenceDue: MonotonicInstant? {
        guard let silence = scenario.watchdogs.silence, !paused else { return nil }
        return max(machineSerial.lastOutput, resumedAt).adding(seconds: silence)
    }

    private var progressDue: MonotonicInstant? {
        guard let progress = scenario.watchdogs.progress, !paused else { return nil }
        return lastProgressAt.adding(seconds: progress.within)
    }

    /// The display watch is on: armed, not ended, the guest running.
    var displayWatching: Bool { scenario.watchdogs.display != nil && displayArmedAt != nil && !displayEnded && !paused }

    /// How often the display watch takes a screenshot: a quarter of its `within` (so a frozen
    /// screen is called within 1.25 times the limit), between 0.1 s and 1 s. A 640x480
    /// screendump costs QEMU's main loop a few tens of milliseconds (docs/harness.md).
    var screenPeriod: Double { min(1, max(0.1, (scenario.watchdogs.display?.within ?? 4) / 4)) }

    /// The instant the screen's interval began: its last change, the watch's start or the
    /// guest's resumption, whichever is latest.
    private var displaySince: MonotonicInstant? {
        guard displayWatching, let armed = displayArmedAt else { return nil }
        return max(screenChangedAt ?? armed, armed, resumedAt)
    }

    private var displayDue: MonotonicInstant? {
        guard let since = displaySince, let display = scenario.watchdogs.display else { return nil }
        return since.adding(seconds: display.within)
    }

    /// When the display watch wants its next screenshot (nil while it is off): a period after
    /// the last one, and no later than the instant the watchdog is due, so that a screenshot
    /// taken then confirms the screen still had not changed.
    func nextScreenSample() -> MonotonicInstant? {
        guard displayWatching, let armed = displayArmedAt else { return nil }
        let last = max(screenSampledAt ?? armed, armed, resumedAt)
        var next = last.adding(seconds: screenPeriod)
        if let due = displayDue, due > last, due < next { next = due }
        return next
    }

    private var scenarioDue: MonotonicInstant { startedAt.adding(seconds: scenario.watchdogs.deadline) }

    /// Deterministic mode: a watchdog due in host time fires only once the guest has run its
    /// limit in guest time (GuestTimeLimits.swift); nil in ordinary runs.
    var guestLimits: GuestTimeLimits?

    /// The watchdogs in the order they are judged (a hang is more telling than the deadline it
    /// caused), each with when it is due in host time, the instant its interval began, and
    /// its limit.
    private func watches(stepDeadline: MonotonicInstant?, stepLimit: Double?)
        -> [(watchdog: Watchdog, due: MonotonicInstant, since: MonotonicInstant, limit: Double)]
    {
        var list: [(watchdog: Watchdog, due: MonotonicInstant, since: MonotonicInstant, limit: Double)] = []
        if let due = silenceDue, let limit = scenario.watchdogs.silence {
            list.append((.serialSilence, due, max(machineSerial.lastOutput, resumedAt), limit))
        }
        if let due = progressDue, let progress = scenario.watchdogs.progress {
            list.append((.noProgress, due, lastProgressAt, progress.within))
        }
        if let due = displayDue, let since = displaySince, let display = scenario.watchdogs.display {
            list.append((.frozenDisplay, due, since, display.within))
        }
        if let stepDeadline { list.append((.stepDeadline, stepDeadline, stepDeadline, stepLimit ?? 0)) }
        list.append((.scenarioDeadline, scenarioDue, startedAt, scenario.watchdogs.deadline))
        return list
    }

    /// Throws the first watchdog whose time has come (in deterministic mode: whose limit the
    /// guest has also run in guest time).
    func checkWatchdogs(stepDeadline: MonotonicInstant?, stepLimit: Double? = nil) throws {
        let now = MonotonicInstant.now
        for watch in watches(stepDeadline: stepDeadline, stepLimit: stepLimit) where now >= watch.due {
            // The screen is judged by a screenshot taken once the limit had passed, not by the
            // last one before it.
            if watch.watchdog == .frozenDisplay, !(screenSampledAt.map { $0 >= watch.due } ?? false) { continue }
            if let guestLimits, !guestLimits.confirms(watch.watchdog, limit: watch.limit, since: watch.since) { continue }
            throw WatchdogFired(watchdog: watch.watchdog)
        }
    }

    /// When the reactor must wake up next even if nothing happens.
    func nextDeadline(_ extra: MonotonicInstant?, stepDeadline: MonotonicInstant? = nil) -> MonotonicInstant {
        var due = MonotonicInstant.now.adding(seconds: 3600)
        let reportDue = panicSeenAt.map { max($0, machineSerial.lastOutput).adding(seconds: Self.panicReportGrace) }
        for candidate in [extra, reportDue, nextScreenSample()] {
            if let candidate, candidate < due { due = candidate }
        }
        for watch in watches(stepDeadline: stepDeadline, stepLimit: nil) {
            let when = guestLimits?.nextCheck(watch.watchdog, since: watch.since).map { max($0, watch.due) } ?? watch.due
            if when < due { due = when }
        }
        return due
    }
}
