// How the kernel heap core gets memory behind its window: the kernel maps frames, the host
// tests and benchmark use an mmap'd region. The core never touches page tables itself.

/// Maps and unmaps pages of the heap's window on the heap's behalf. Called with the heap's
/// lock held; implementations must not allocate from the heap.
public protocol HeapPageBacking {
    /// Makes the page at `address` (page-aligned, inside the window, currently unmapped)
    /// readable and writable. Returns false when no physical frame is left.
    mutating func mapPage(at address: UInt) -> Bool
    /// Gives the page at `address` back (the heap no longer uses it; it was mapped by `mapPage`).
    mutating func unmapPage(at address: UInt)
}
