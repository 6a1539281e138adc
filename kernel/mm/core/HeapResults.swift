// Outcomes of the kernel heap core's allocate and free: plain enums, so the kernel decides what
// to print (the exact failure messages live in the kernel, not here).

/// What `KernelHeapCore.allocate` produced.
public enum HeapAllocation: Equatable {
    /// A block of at least the requested size and alignment.
    case allocated(UnsafeMutableRawPointer)
    /// A page could not be mapped: no physical frame left
    /// (the kernel prints `expand_heap: Failed to allocate physical page`).
    case outOfFrames
    /// No free stretch of the window fits the request (`kmalloc: No suitable block`).
    case outOfWindow
    /// Alignment not a power of two, negative size, or a size larger than the whole window.
    case badRequest

    /// The block, or nil for any failure.
    @inlinable
    public var pointer: UnsafeMutableRawPointer? {
        if case .allocated(let pointer) = self { return pointer }
        return nil
    }
}

/// What `KernelHeapCore.free` did. On anything but `.freed` the heap is unchanged and fully
/// usable (the kernel prints `kfree: Invalid block or double free`).
public enum HeapFreeResult: Equatable {
    /// The block is free; `size` is the usable size it had.
    case freed(size: Int)
    /// Not the start of a live block: outside the window, in an unmapped or free page, in the
    /// middle of a block, or in a page reused since the block was freed.
    case invalid
    /// The start of a block that is already free.
    case doubleFree
}
