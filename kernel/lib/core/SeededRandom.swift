// The kernel's generator of "random" numbers (splitmix64): the same seed, the same sequence, so
// a run can be reproduced exactly. Plain Swift, built for the host too (target KernelLibCore),
// where the tests of the kernel's cores use it.

public struct SeededRandom {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (bound > 0).
    public mutating func next(below bound: UInt64) -> UInt64 { next() % bound }
}
