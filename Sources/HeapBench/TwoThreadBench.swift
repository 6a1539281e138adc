// heap-bench's two-thread rows: two threads allocate and free pairs at the same moment. The
// core is one heap behind one lock, as in the kernel (where a spin lock guards it; here a
// Mutex, since a host thread holding a spin lock can be descheduled); glibc uses its
// per-thread arenas.

import Foundation
import KernelMemoryCore
import Synchronization

final class TwoThreadBench: @unchecked Sendable {
    private let heap: Mutex<KernelHeapCore<CountingBacking>>
    /// Threads that reached the start line; both start timing together.
    private let arrived = Atomic<Int>(0)

    /// A fresh heap over the window; the single-thread heap over it must be done with.
    init(window: BenchWindow) {
        heap = Mutex(window.makeHeap())
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
        for index in 0..<pairsPerRun {
            switch allocator {
            case .core:
                let block = heap.withLock { heap -> UnsafeMutableRawPointer in
                    guard case .allocated(let block) = heap.allocate(size: size, alignment: 16) else { fatalError("core: out of memory") }
                    return block
                }
                block.storeBytes(of: index, as: Int.self)
                sink &+= Int(bitPattern: block)
                heap.withLock { heap in
                    guard case .freed = heap.free(block) else { fatalError("core: bad free") }
                }
            case .glibc:
                guard let block = malloc(size) else { fatalError("glibc: out of memory") }
                block.storeBytes(of: index, as: Int.self)
                sink &+= Int(bitPattern: block)
                free(block)
            }
        }
        if sink == 42 { print("heap-bench: unlikely sink") }
    }
}
