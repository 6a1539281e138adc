// Every tunable of the kernel in one place (xv6's param.h). Sizes of the address space live in
// mm/Layout.swift; these are counts and policies.

enum Parameters {
    /// CPUs the static per-CPU tables have room for.
    static let maximumCPUs = 16
    /// Frames of a backtrace printed at most.
    static let backtraceDepth = 32
    /// The heap warns (`mm: pressure`) when mapped bytes pass this share of its window, in percent.
    static let heapPressurePercent: UInt64 = 75
}
