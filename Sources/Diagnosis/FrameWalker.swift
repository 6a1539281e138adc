// Frame-pointer backtraces read from guest memory. The kernel keeps frame pointers: each frame
// holds [saved rbp][return address]. The chain is checked at every step (aligned, non-zero,
// strictly increasing, within a bounded span, bounded depth) so a corrupt stack ends the walk
// instead of sending it through random memory.

public struct Frame: Equatable {
    /// RIP for frame 0, else a return address.
    public let address: UInt64
    /// `symbol+offset`, from `address` for frame 0 and `address - 1` for return addresses
    /// (a call's return address may already belong to the next function).
    public let location: String?
    public let isReturnAddress: Bool
}

public enum FrameWalker {
    public static let maximumDepth = 32
    /// Largest gap between two frames: kernel stacks are far smaller.
    public static let maximumFrameSpan: UInt64 = 1 << 20

    /// Walks from `rip`/`rbp`, reading 16 bytes per frame with `read`; stops at the first frame
    /// that fails a check or cannot be read. `symbolize` names an address.
    public static func walk(
        rip: UInt64, rbp: UInt64, read: (UInt64) throws -> (savedRBP: UInt64, returnAddress: UInt64),
        symbolize: (UInt64) -> String?
    ) -> (frames: [Frame], stoppedBecause: String) {
        var frames = [Frame(address: rip, location: symbolize(rip), isReturnAddress: false)]
        var framePointer = rbp
        while frames.count < maximumDepth {
            if framePointer == 0 { return (frames, "end of chain (rbp=0)") }
            if framePointer % 8 != 0 { return (frames, "misaligned rbp 0x\(hex(framePointer))") }
            guard let (saved, returnAddress) = try? read(framePointer) else {
                return (frames, "unreadable frame at 0x\(hex(framePointer))")
            }
            if returnAddress == 0 { return (frames, "return address 0 at 0x\(hex(framePointer))") }
            frames.append(Frame(address: returnAddress, location: symbolize(returnAddress - 1), isReturnAddress: true))
            if saved == 0 { return (frames, "end of chain (rbp=0)") }
            if saved <= framePointer || saved - framePointer > maximumFrameSpan {
                return (frames, "frame pointer 0x\(hex(saved)) does not climb from 0x\(hex(framePointer))")
            }
            framePointer = saved
        }
        return (frames, "depth limit \(maximumDepth)")
    }
}

func hex(_ value: UInt64) -> String { String(value, radix: 16) }
