// The kernel's only source of randomness, derived from the `seed=` option so that a run can be
// reproduced exactly (splitmix64).

struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (bound > 0).
    mutating func next(below bound: UInt64) -> UInt64 { next() % bound }
}

enum KernelRandom {
    nonisolated(unsafe) static var generator = SeededRandom(seed: 1)
}

/// `arc4random_buf` for the Swift runtime (hash seeds of Set and Dictionary).
@_cdecl("kernel_random_fill")
func kernelRandomFill(_ buffer: UnsafeMutableRawPointer, _ count: Int) {
    var i = 0
    while i < count {
        let word = KernelRandom.generator.next()
        for b in 0..<min(8, count - i) { buffer.storeBytes(of: UInt8(truncatingIfNeeded: word >> (8 * UInt64(b))), toByteOffset: i + b, as: UInt8.self) }
        i += 8
    }
}
