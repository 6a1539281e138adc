// heap-bench's single-thread rows: the kernel heap core behind one object cache (as kmalloc on
// one CPU) and glibc malloc/free, the same patterns, ns per allocate+free pair.

import Foundation
import KernelMemoryCore

let repetitions = 7
let pairsPerRun = 200_000
/// Live blocks in the batch pattern: allocated in a row, then freed in shuffled order.
let batchSize = 1000

/// A fixed shuffled order for the batch pattern (xorshift, so every run frees the same way).
func makeFreeOrder() -> [Int] {
    var order = Array(0..<batchSize)
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    for index in stride(from: batchSize - 1, to: 0, by: -1) {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        order.swapAt(index, Int(state % UInt64(index + 1)))
    }
    return order
}

enum Pattern: String, CaseIterable {
    /// allocate, write one word, free, again.
    case pairs
    /// allocate `batchSize` blocks, then free them in shuffled order.
    case batch
}

enum Allocator {
    case core
    case glibc
}

/// Runs the patterns against either allocator. The heap is a stored property of this struct
/// and reached through `inout self`, so its generic code is specialised and inlined here and
/// no global access (or exclusivity check) sits on the hot path.
struct Bench {
    let window: BenchWindow
    var heap: KernelHeapCore<CountingBacking>
    /// The one CPU's object cache, as in the kernel (KernelHeap.tryAllocate / free).
    let cache: HeapObjectCache
    let lookup: HeapBlockLookup
    /// Where allocated pointers go, so that the optimiser cannot drop a malloc/free pair.
    let sink: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    let freeOrder: [Int]

    init(window: BenchWindow) {
        self.window = window
        heap = window.makeHeap()
        cache = HeapObjectCache.prepare(storage: .allocate(byteCount: HeapObjectCache.storageBytes, alignment: 8))
        lookup = heap.lookup
        sink = .allocate(capacity: batchSize)
        sink.initialize(repeating: nil, count: batchSize)
        freeOrder = makeFreeOrder()
    }

    @inline(__always)
    mutating func allocate(_ allocator: Allocator, _ size: Int) -> UnsafeMutableRawPointer {
        switch allocator {
        case .core:
            return cache.allocate(size: size, alignment: 16, lookup)
                ?? heap.allocate(size: size, alignment: 16, refilling: cache).block
        case .glibc:
            guard let block = malloc(size) else { fatalError("glibc: out of memory") }
            return block
        }
    }

    @inline(__always)
    mutating func release(_ allocator: Allocator, _ block: UnsafeMutableRawPointer) {
        switch allocator {
        case .core:
            guard let classified = cache.free(block, lookup) else { return }
            heap.free(block, classified: classified, cache: cache, cachesHold: { _, _ in false }).check()
        case .glibc:
            free(block)
        }
    }

    /// One timed run: nanoseconds per allocate+free pair.
    @inline(never)
    mutating func run(_ allocator: Allocator, _ pattern: Pattern, size: Int) -> Double {
        let start = nanoseconds()
        switch pattern {
        case .pairs:
            for index in 0..<pairsPerRun {
                let block = allocate(allocator, size)
                block.storeBytes(of: index, as: Int.self)
                sink[index & 7] = block
                release(allocator, block)
            }
        case .batch:
            for _ in 0..<(pairsPerRun / batchSize) {
                for index in 0..<batchSize {
                    let block = allocate(allocator, size)
                    block.storeBytes(of: index, as: Int.self)
                    sink[index] = block
                }
                for index in freeOrder { release(allocator, sink[index].unsafelyUnwrapped) }
            }
        }
        return Double(nanoseconds() - start) / Double(pairsPerRun)
    }
}

extension HeapAllocation {
    /// The block, or the end of the benchmark.
    var block: UnsafeMutableRawPointer {
        guard case .allocated(let block) = self else { fatalError("core: out of memory") }
        return block
    }
}

extension HeapFreeResult {
    /// Ends the benchmark unless the block was freed.
    func check() {
        guard case .freed = self else { fatalError("core: bad free") }
    }
}
