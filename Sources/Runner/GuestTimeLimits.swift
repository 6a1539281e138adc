// Deterministic mode's watchdogs: a limit (silence, progress, a step's `within`, the scenario
// deadline) is measured in guest time, so a loaded host cannot turn one execution into another
// verdict. Guest time here is the instruction count QEMU reports (QMP `query-replay`, whose
// `icount` QEMU 7.2 gives in any icount run) times 2^shift ns: exactly what icount makes of
// time, minus the idle stretches `sleep=off` skips (QMP cannot read the virtual clock itself).
//
// The counter is read only when a limit has passed in host time, never on a timer: every QMP
// command wakes QEMU's main loop, which is the one place host timing can reach a run (see
// docs/harness.md). At that first look the interval's guest clock starts (its true start was
// earlier, so a limit can fire late, never early); it fires once the guest has run the limit
// since. A VM that makes no progress at all (every vCPU halted for good, or QEMU stuck) is
// caught by a host-time backstop of ten times the limit, at least a minute, and the verdict
// says so.
import Foundation
import HostSystem

public final class GuestTimeLimits {
    /// The backstop: a limit fires in host time after this many times itself (at least
    /// `backstopMinimum` seconds) even if the guest has not run it.
    static let backstopFactor = 10.0
    static let backstopMinimum = 60.0

    private let nanosecondsPerInstruction: Double
    private let readInstructions: () -> Int64?
    private let drainConsole: () -> Void

    private struct Watch {
        let since: MonotonicInstant
        /// When the guest clock of the interval started (the first look), and its count then.
        let startedAt: MonotonicInstant
        let startInstructions: Int64
        var nextCheck: MonotonicInstant
    }
    private var watches: [Watchdog: Watch] = [:]
    /// What the last watchdog that fired measured, for the verdict.
    public private(set) var lastFiring: String?

    public init(shift: Int, readInstructions: @escaping () -> Int64?, drainConsole: @escaping () -> Void) {
        nanosecondsPerInstruction = Double(1 << shift)
        self.readInstructions = readInstructions
        self.drainConsole = drainConsole
    }

    /// When `watchdog`'s interval that began at `since` should be looked at again, if it is
    /// being measured in guest time.
    public func nextCheck(_ watchdog: Watchdog, since: MonotonicInstant) -> MonotonicInstant? {
        guard let watch = watches[watchdog], watch.since == since else { return nil }
        return watch.nextCheck
    }

    /// `watchdog` is due in host time (`limit` seconds since `since`): true when it fires.
    public func confirms(_ watchdog: Watchdog, limit: Double, since: MonotonicInstant, now: MonotonicInstant = .now) -> Bool {
        if let watch = watches[watchdog], watch.since == since, now < watch.nextCheck { return false }
        // Output the guest printed before the count we are about to read must be seen first.
        drainConsole()
        guard let instructions = readInstructions() else {
            lastFiring = "\(watchdog.rawValue): QEMU's instruction count could not be read; judged in host time"
            return true
        }
        guard let watch = watches[watchdog], watch.since == since else {
            watches[watchdog] = Watch(
                since: since, startedAt: now, startInstructions: instructions, nextCheck: now.adding(seconds: limit))
            return false
        }
        let guestSeconds = Double(instructions - watch.startInstructions) * nanosecondsPerInstruction / 1e9
        let hostSeconds = now.seconds(since: since)
        if guestSeconds >= limit {
            lastFiring =
                "\(watchdog.rawValue): \(guestSeconds.fixed3) s of guest time (\(instructions - watch.startInstructions) instructions) after \(hostSeconds.fixed3) s of host time"
            return true
        }
        if hostSeconds >= max(limit * Self.backstopFactor, Self.backstopMinimum) {
            lastFiring =
                "\(watchdog.rawValue): host-time backstop after \(hostSeconds.fixed3) s; the guest ran only \(guestSeconds.fixed3) s of guest time (\(instructions - watch.startInstructions) instructions) of its \(limit) s limit"
            return true
        }
        // Look again when the rest could have run at the pace seen so far (within bounds).
        let elapsedHost = max(0.001, now.seconds(since: watch.startedAt))
        let pace = guestSeconds > 0 ? elapsedHost / guestSeconds : limit
        let wait = min(max((limit - guestSeconds) * pace, 0.05), limit)
        let backstop = since.adding(seconds: max(limit * Self.backstopFactor, Self.backstopMinimum))
        watches[watchdog]!.nextCheck = min(now.adding(seconds: wait), backstop)
        return false
    }
}
