// The kernel's only source of randomness, derived from the `seed=` option so that a run can be
// reproduced exactly (`SeededRandom`, lib/core).

enum KernelRandom {
    nonisolated(unsafe) static var generator = SeededRandom(seed: 1)
}

/// `arc4random_buf` for the Swift runtime (hash seeds of Set and Dictionary).
@_cdecl("kernel_random_fill")
func kernelRandomFill(_ buffer: UnsafeMutableRawPointer, _ count: Int) {
    var i = 0
    while i < count {
        let word = KernelRandom.generator.next()
        for b in 0..<min(8, count - i) {
            buffer.storeBytes(of: UInt8(truncatingIfNeeded: word >> (8 * UInt64(b))), toByteOffset: i + b, as: UInt8.self)
        }
        i += 8
    }
}
