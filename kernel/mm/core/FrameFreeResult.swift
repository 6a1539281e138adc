// Outcome of giving physical frames back to the frame allocator core.
// Every outcome but `.freed` means the caller has a bug; the allocator's state is unchanged then.

/// What `FrameAllocatorCore.free` did.
public enum FrameFreeResult: Equatable {
    /// The frames are free again.
    case freed
    /// At least one frame was already free; nothing was changed.
    case doubleFree
    /// At least one frame number lies outside `0..<frameCount` (or the count was negative).
    case outOfRange
    /// At least one frame was never added as usable (a hole in the memory map, MMIO, ...).
    case notUsable
}

/// Where one frame stands, for tests and diagnostics.
public enum FrameState: Equatable {
    case notUsable
    case free
    case allocated
}
