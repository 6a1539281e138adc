// heap-bench's two-thread rows: two threads allocate and free (pairs, or batches freed in
// shuffled order) at the same moment. Each
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

    /// Wall nanoseconds per pair per thread, both threads doing `pairsPerRun` pairs in `pattern`.
    func run(_ allocator: Allocator, _ pattern: Pattern, size: Int) -> Double {
        arrived.store(0, ordering: .relaxed)
        let group = DispatchGroup()
        let start = Atomic<UInt64>(0)
        for _ in 0..<2 {
            group.enter()
            Thread { [self] in
                arrived.add(1, ordering: .acquiringAndReleasing)
                while arrived.load(ordering: .acquiring) < 2 {}
                _ = start.compareExchange(expected: 0, desired: nanoseconds(), ordering: .relaxed)
                churn(allocator, pattern, size: size)
                group.leave()
            }.start()
        }
        group.wait()
        return Double(nanoseconds() - start.load(ordering: .relaxed)) / Double(pairsPerRun)
    }

    private func churn(_ allocator: Allocator, _ pattern: Pattern, size: Int) {
        var sink = 0
        let storage = UnsafeMutableRawPointer.allocate(byteCount: HeapObjectCache.storageBytes, alignment: 8)
        let cache = HeapObjectCache.prepare(storage: storage)
        let live = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: batchSize)
        let freeOrder = makeFreeOrder()
        // The lock only when the cache cannot serve (as KernelHeap does).
        func allocate() -> UnsafeMutableRawPointer {
            switch allocator {
            case .core:
                return cache.allocate(size: size, alignment: 16, lookup)
                    ?? heap.withLock { $0.allocate(size: size, alignment: 16, refilling: cache) }.block
            case .glibc:
                guard let block = malloc(size) else { fatalError("glibc: out of memory") }
                return block
            }
        }
        func release(_ block: UnsafeMutableRawPointer) {
            switch allocator {
            case .core:
                guard let classified = cache.free(block, lookup) else { return }
                heap.withLock { $0.free(block, classified: classified, cache: cache, cachesHold: { _, _ in false }) }.check()
            case .glibc:
                free(block)
            }
        }
        switch pattern {
        case .pairs:
            for index in 0..<pairsPerRun {
                let block = allocate()
                block.storeBytes(of: index, as: Int.self)
                sink &+= Int(bitPattern: block)
                release(block)
            }
        case .batch:
            for _ in 0..<(pairsPerRun / batchSize) {
                for index in 0..<batchSize {
                    let block = allocate()
                    block.storeBytes(of: index, as: Int.self)
                    live[index] = block
                }
                for index in freeOrder { release(live[index].unsafelyUnwrapped) }
            }
        }
        heap.withLock { $0.drainAll(cache) }
        live.deallocate()
        storage.deallocate()
        if sink == 42 { print("heap-bench: unlikely sink") }
    }
}
