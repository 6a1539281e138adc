// Every tunable of the kernel in one place (xv6's param.h). Sizes of the address space live in
// mm/Layout.swift; these are counts and policies.

/// A table with one entry per possible CPU (index = CPU), a flat global a debugger can read.
/// The CPU limit is spelled here and only here: a value generic parameter must be a literal, so
/// `Parameters.maximumCPUs` reads it back from this type.
typealias PerCPUTable<Element> = InlineArray<16, Element>

enum Parameters {
    /// CPUs the per-CPU tables (`PerCPUTable`) have room for.
    static let maximumCPUs = PerCPUTable<UInt8>.count
    /// Frames of a backtrace printed at most.
    static let backtraceDepth = 32
    /// The heap warns (`mm: pressure`) when mapped bytes pass this share of its window, in percent.
    static let heapPressurePercent: UInt64 = 75
}

extension Parameters {
    /// The scheduler's tick (LAPIC timer period), in milliseconds.
    static let tickMilliseconds: UInt64 = 10
    /// `tick_jitter=<salt>`: each tick's period is drawn from tickMilliseconds ± this percent.
    static let tickJitterPercent: UInt64 = 25
    /// An idle CPU steals from the longest run queue holding at least this many tasks.
    static let stealMinimumQueueLength = 1
    /// How long the boot CPU waits for an AP to check in before carrying on without it.
    static let apCheckInMilliseconds: UInt64 = 2000
    /// A CPU whose heartbeat stalls this long while others run is reported (`watchdog:`).
    static let softLockupMilliseconds: UInt64 = 1000
    /// How long the panicking CPU waits for the others to stop, first by IPI, then by NMI.
    static let panicStopMilliseconds: UInt64 = 1000
}

extension Parameters {
    /// Freed kernel stacks kept mapped for the next task, so spawn/exit churn does not unmap
    /// and shoot down a stack per task.
    static let kernelStackCache = 32
}

extension Parameters {
    /// The display mode when `fb=` does not say (video/BochsDisplay.swift).
    static let defaultFramebufferWidth = 640
    static let defaultFramebufferHeight = 480
    /// The roulette's first frame (a function of the seed alone) stays this long on the screen.
    static let rouletteFirstFrameHoldMilliseconds: UInt64 = 2000
}
