// heap-bench's two-thread rows: two threads allocate and free pairs at the same moment. Each
// thread has its own object cache and the core is one heap behind one lock, as in the kernel
// (per-CPU caches; a spin lock on the core, here a Mutex, since a host thread holding a spin
// lock can be descheduled); glibc uses its per-thread caches and arenas.

import Foundation
import KernelMemoryCore
import Synchronization

final class TwoThreadBench: @unchecked Sendable {
    private let heap: Mutex<KernelHeapCore<CountingBacking>>
    private let lookup: HeapBlockLookup
    /// Threads that reached the start line; both start timing together.
    private let arrived = Atomic<Int>(0)

    /// A fresh heap over the window; the single-thread heap over it must be done with.
    init(window: BenchWindow) {
        let core = window.makeHeap()
        lookup = core.lookup
        heap = Mutex(core)
    }

    /// Wall nanoseconds per pair per thread, both threads doing `pairsPerRun` pairs.
    func run(_ allocator: Allocator, size: Int) -> Double {
        arrived.store(0, ordering: .relaxed)
        let group = DispatchGroup()
        let start = Atomic<UInt64>(0)
        for _ in 0..<2 {
            group.enter()
            Thread { [self] in
                arrived.add(1, ordering: .acquiringAndReleasing)
                while arrived.load(ordering: .acquiring) < 2 {}
                _ = start.compareExchange(expected: 0, desired: nanoseconds(), ordering: .relaxed)
                churn(allocator, size: size)
                group.leave()
            }.start()
        }
        group.wait()
        return Double(nanoseconds() - start.load(ordering: .relaxed)) / Double(pairsPerRun)
    }

    private func churn(_ allocator: Allocator, size: Int) {
        var sink = 0
        let storage = UnsafeMutableRawPointer.allocate(byteCount: HeapObjectCache.storageBytes, alignment: 8)
        let cache = HeapObjectCache.prepare(storage: storage)
        for index in 0..<pairsPerRun {
            switch allocator {
            case .core:
                // The lock only when the cache cannot serve (as KernelHeap does).
                let block =
                    cache.allocate(size: size, alignment: 16, lookup)
                    ?? heap.withLock { $0.allocate(size: size, alignment: 16, refilling: cache) }.block
                block.storeBytes(of: index, as: Int.self)
                sink &+= Int(bitPattern: block)
                guard let classified = cache.free(block, lookup) else { continue }
                heap.withLock { $0.free(block, classified: classified, cache: cache, cachesHold: { _, _ in false }) }.check()
            case .glibc:
                guard let block = malloc(size) else { fatalError("glibc: out of memory") }
                block.storeBytes(of: index, as: Int.self)
                sink &+= Int(bitPattern: block)
                free(block)
            }
        }
        heap.withLock { $0.drainAll(cache) }
        storage.deallocate()
        if sink == 42 { print("heap-bench: unlikely sink") }
    }
}
