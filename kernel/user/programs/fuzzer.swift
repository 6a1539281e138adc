// fuzzer: 300 system calls with arguments drawn from its argument (a seed): random numbers,
// and the addresses most likely to hurt (null, the kernel's half, the end of the user half,
// its own stack). Every call must return; the kernel must never fault. Exits 0.
// Calls that would end it or others on purpose (exit, kill of real pids) are left out.

func programMain(argument: UInt64) -> Int {
    var state = argument | 1
    func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    func hostile() -> UInt64 {
        switch next() % 8 {
        case 0: return 0
        case 1: return 0x10_0000 + next() % 0x100_0000  // kernel image and low memory
        case 2: return 0x40_0000_0000 + next() % (256 << 20)  // kernel heap window
        case 3: return 0x7FFF_FFFF_F000 + next() % 0x2000  // the end of the user half
        case 4: return 0x80_0000_0000 + next() % 0x10000  // its own code
        case 5: return 0x80_4000_0000 - next() % 0x8000  // its own stack
        case 6: return UInt64.max - next() % 4096
        default: return next()
        }
    }
    for _ in 0..<300 {
        switch next() % 10 {
        case 0: _ = Sys.raw(1, hostile(), hostile() % 256, hostile())  // spawn
        case 1: _ = Sys.wait(Int(truncatingIfNeeded: hostile()))
        case 2: _ = Sys.kill(-Int(next() % 1000) - 1)  // never a real pid
        case 3: Sys.yield()
        case 4: _ = Sys.getpid()
        case 5: _ = Sys.write(address: hostile(), length: hostile() % 8192)
        case 6: Sys.sleep(milliseconds: next() % 3)
        case 7:
            let a = Sys.map(hostile() % (1 << 20))
            if a > 0 && next() % 2 == 0 { _ = Sys.unmap(UInt64(a), 4096) }
        case 8: _ = Sys.unmap(hostile() & ~0xFFF, hostile() % (1 << 20))
        default: _ = Sys.raw(Int32(truncatingIfNeeded: 11 + next() % 1000), hostile(), hostile(), hostile())
        }
    }
    return 0
}
