// Deterministic mode: every vCPU on one host thread, time counted in guest instructions
// (`-icount shift=N,sleep=off`), and no device that reads the host's clock. With no input from
// the host while it runs, the same machine, kernel and schedule give the same execution,
// instruction for instruction. The seed picks the schedule (the icount shift, and a number the
// kernel can use for its own schedule knobs), so repeated runs explore interleavings while each
// seed replays its own. Measured facts and QEMU 7.2 source references: docs/harness.md,
// "Deterministic mode".
import Foundation

/// How the vCPUs are run.
public enum MachineMode: String, CaseIterable {
    /// The profile's accelerator as it is: multi-threaded TCG or KVM, interleaved by the host.
    case standard
    /// One host thread, icount, no host clock in the guest: runs replay by seed.
    case deterministic
}

/// The schedule of one deterministic run, all drawn from its seed.
public struct DeterministicSchedule: Equatable, CustomStringConvertible {
    /// Shifts a seed may pick: one instruction is 2^shift ns of guest time. Below 2 the guest's
    /// time-based loops (the PIT calibration, tick waits) cost too many instructions (shift 0:
    /// boot 2.4 s against 0.2 s at 5); above 5 a 10 ms tick is so few instructions per CPU that
    /// guest deadlines fire after very little work.
    public static let shiftRange = 2...5

    /// `-icount shift=`: where QEMU's round-robin switches vCPUs (each slice ends at the next
    /// guest-time timer deadline) moves with it, so the interleaving changes.
    public let shift: Int
    /// A 32-bit number from the seed, for the kernel's own schedule knobs: `{schedule}` in the
    /// command line (ours passes it as `tick_jitter=`, which jitters each CPU's timer period).
    public let salt: UInt32

    public init(seed: UInt64) {
        // SplitMix64: a seed's schedule is a pure function of the seed, documented and stable.
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let range = Self.shiftRange
        shift = range.lowerBound + Int(next() % UInt64(range.count))
        salt = UInt32(truncatingIfNeeded: next())
    }

    public init(shift: Int, salt: UInt32) {
        self.shift = shift
        self.salt = salt
    }

    /// What QEMU needs besides `-accel tcg,thread=single`:
    /// - `-icount shift=N,sleep=off`: guest time is the instruction count; an idle machine
    ///   jumps to its next timer instead of sleeping in host time (`shift=auto` retunes itself
    ///   from a host-clock timer, so it is never used).
    /// - `-rtc clock=vm,base=...`: QEMU 7.2's RTC runs on the host clock by default
    ///   (softmmu/rtc.c `configure_rtc`): the CMOS time, its update-in-progress bit that the
    ///   firmware polls, and its update timer all follow the host. The timer also wakes QEMU's
    ///   main loop at host-chosen moments, where it can run a guest timer that has just expired
    ///   and kick the round-robin vCPU thread (`rr_kick_vcpu_thread` exits every vCPU), which
    ///   changes the order of the next round: the AP bring-up divergence. On the guest's clock
    ///   with a fixed date, every RTC timer is a guest-time deadline run by the vCPU thread.
    public var qemuArguments: [String] {
        ["-icount", "shift=\(shift),sleep=off", "-rtc", "clock=vm,base=\(Self.rtcBase)"]
    }

    /// `-accel` in this mode: one thread for every vCPU (icount rules out MTTCG anyway).
    public static let accelerator = "tcg,thread=single"
    /// The RTC's date at power-on, the same for every run.
    public static let rtcBase = "2020-01-01T00:00:00"

    public var description: String { "icount shift=\(shift), schedule \(salt)" }
}

extension AcceleratorChoice {
    /// The report's accelerator in deterministic mode.
    static let deterministic = AcceleratorChoice(accelerator: .tcg, reason: "deterministic mode: one thread, icount")
}

extension MachineProfile {
    /// Deterministic mode with `schedule`: TCG, and the profile's `schedule-cmdline` (with
    /// `{schedule}` as the salt) added to the kernel command line.
    public mutating func applySchedule(_ schedule: DeterministicSchedule) {
        mode = .deterministic
        self.schedule = schedule
        accelerator = .tcg
        let extra = scheduleCommandLine.replacingOccurrences(of: "{schedule}", with: String(schedule.salt))
        if !extra.isEmpty { commandLine = commandLine.isEmpty ? extra : commandLine + " " + extra }
    }
}
