// The heap-bench's window: a committed mmap'd region, so the benchmark times the heap core's
// own work (the kernel adds page-table updates on the rarer map/unmap path).

import Glibc
import KernelMemoryCore

/// Counts map and unmap requests; the memory behind the window is already readable and writable.
struct CountingBacking: HeapPageBacking {
    var pagesMapped = 0
    var pagesUnmapped = 0

    mutating func mapPage(at address: UInt) -> Bool {
        pagesMapped += 1
        return true
    }

    mutating func unmapPage(at address: UInt) {
        pagesUnmapped += 1
    }
}

/// A kernel-sized (256 MiB) heap window and its metadata, allocated once for the whole run.
struct BenchWindow {
    static let windowPages = 65536
    let base: UInt
    let metadata: UnsafeMutableRawPointer

    init() {
        let bytes = Self.windowPages * 4096
        guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            raw != MAP_FAILED
        else { fatalError("heap-bench: cannot reserve the 256 MiB window") }
        base = UInt(bitPattern: raw)
        metadata = UnsafeMutableRawPointer.allocate(
            byteCount: KernelHeapCore<CountingBacking>.metadataBytes(windowPages: Self.windowPages), alignment: 4096)
    }

    /// A fresh, empty heap over the window (the previous heap's blocks must all be freed).
    func makeHeap() -> KernelHeapCore<CountingBacking> {
        KernelHeapCore(windowBase: base, windowPages: Self.windowPages, metadata: metadata, backing: CountingBacking())
    }
}

/// Monotonic time in nanoseconds.
@inline(__always)
func nanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
