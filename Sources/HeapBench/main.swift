// heap-bench: the kernel heap (its core behind a per-CPU object cache, as kmalloc uses them)
// next to glibc malloc/free in one process, same patterns, ns per allocate+free pair per size,
// on one thread and on two sharing one heap.
// `swift run -c release heap-bench [SIZE...] [--json PATH]`; `make bench` reads the JSON.

import BenchReport
import Foundation
import KernelMemoryCore

/// `--json PATH`: also write every row as a `make bench` figure.
let jsonPath = CommandLine.arguments.firstIndex(of: "--json").flatMap { index in
    index + 1 < CommandLine.arguments.count ? CommandLine.arguments[index + 1] : nil
}
/// Sizes to measure: the arguments if any (`heap-bench 16 64`), else the standard set.
let sizeArguments = CommandLine.arguments.dropFirst().filter { $0 != jsonPath }.compactMap { Int($0) }
let sizes = sizeArguments.isEmpty ? [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 16384] : sizeArguments
let repetitions = 7
let pairsPerRun = 200_000
/// Patterns to measure: `HEAP_BENCH_PATTERN=pairs` or `batch` picks one (handy under perf).
let patterns = Pattern.allCases.filter { pattern in
    Environment.value("HEAP_BENCH_PATTERN").map { $0 == pattern.rawValue } ?? true
}
/// Live blocks in the batch pattern: allocated in a row, then freed in shuffled order.
let batchSize = 1000

/// A fixed shuffled order for the batch pattern (xorshift, so every run frees the same way).
func makeFreeOrder() -> [Int] {
    var order = Array(0..<batchSize)
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    for index in stride(from: batchSize - 1, to: 0, by: -1) {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
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

enum Environment {
    static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
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
            return cache.allocate(size: size, alignment: 16, lookup) ?? heap.allocate(size: size, alignment: 16, refilling: cache).block
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

extension Samples {
    var text: String { "\(format(median, 7)) [\(format(minimum, 1))-\(format(maximum, 1))]" }
}

func format(_ value: Double, _ width: Int, decimals: Int = 1) -> String {
    var scaled = (value * 10).rounded() / 10
    if decimals == 2 { scaled = (value * 100).rounded() / 100 }
    var text = "\(scaled)"
    if decimals == 2, let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) == 2 { text += "0" }
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }

print("heap-bench: ns per allocate+free pair, median [min-max] of \(repetitions) runs of \(pairsPerRun) pairs")
print("heap-bench: core = KernelHeapCore in a 256 MiB window behind a HeapObjectCache (slab sizes, <= 2048 B), as kmalloc; page maps counted, not timed")
print("heap-bench: glibc = malloc/free")
print("heap-bench: the last line is the geometric mean of the core/glibc column for sizes <= 256, both patterns")
print(pad("size", 7) + pad("pattern", 9) + pad("core", 24) + pad("glibc", 24) + "core/glibc")
var bench = Bench(window: BenchWindow())
// Bring the CPU to speed before the first row counts (frequency scaling would penalise it).
for _ in 0..<3 { _ = bench.run(.glibc, .pairs, size: 64); _ = bench.run(.core, .pairs, size: 64) }
var smallRatios: [Double] = []
var figures: [Figure] = []
for size in sizes {
    for pattern in patterns {
        var samples: [Allocator: [Double]] = [.core: [], .glibc: []]
        _ = bench.run(.core, pattern, size: size)     // warm up both: pages mapped, caches filled
        _ = bench.run(.glibc, pattern, size: size)
        for _ in 0..<repetitions {
            // Interleave the allocators so drift in machine speed hits both alike.
            samples[.core]!.append(bench.run(.core, pattern, size: size))
            samples[.glibc]!.append(bench.run(.glibc, pattern, size: size))
        }
        let core = Samples(samples[.core]!), glibc = Samples(samples[.glibc]!)
        let ratio = core.median / glibc.median
        if size <= 256 { smallRatios.append(ratio) }
        print(pad("\(size)", 7) + pad(pattern.rawValue, 9) + pad(core.text, 24) + pad(glibc.text, 24)
              + format(ratio, 6, decimals: 2))
        figures.append(figure(size: size, pattern: pattern.rawValue, threads: 1, core: core, glibc: glibc))
    }
}
var cacheTotals = HeapCacheTotals()
cacheTotals.add(bench.cache)
let stats = bench.heap.statistics(correctedBy: cacheTotals)
print("heap-bench: core pages mapped \(bench.heap.backing.pagesMapped), unmapped \(bench.heap.backing.pagesUnmapped), "
      + "bytes in use at end \(stats.bytesInUse), peak \(stats.peakBytesInUse)")
let geometricMean = exp(smallRatios.map { log($0) }.reduce(0, +) / Double(max(1, smallRatios.count)))
print("heap-bench: core/glibc ratio for sizes <= 256: "
      + (smallRatios.isEmpty ? "n/a" : format(geometricMean, 0, decimals: 2)) + " (target <= 1.00)")

// Two threads: both allocate and free pairs at once, each with its own object cache and the core
// behind one lock (as in the kernel: per-CPU caches, one lock on the core), glibc with its
// per-thread caches and arenas.
let twoThreads = TwoThreadBench(window: bench.window)
print("heap-bench: 2 threads at once, pairs pattern, wall ns per pair per thread, median [min-max] of \(repetitions) runs")
print(pad("size", 7) + pad("threads", 9) + pad("core", 24) + pad("glibc", 24) + "core/glibc")
for size in sizes where size <= 4096 {
    var samples: [Allocator: [Double]] = [.core: [], .glibc: []]
    _ = twoThreads.run(.core, size: size)
    _ = twoThreads.run(.glibc, size: size)
    for _ in 0..<repetitions {
        samples[.core]!.append(twoThreads.run(.core, size: size))
        samples[.glibc]!.append(twoThreads.run(.glibc, size: size))
    }
    let core = Samples(samples[.core]!), glibc = Samples(samples[.glibc]!)
    print(pad("\(size)", 7) + pad("2", 9) + pad(core.text, 24) + pad(glibc.text, 24) + format(core.median / glibc.median, 6, decimals: 2))
    figures.append(figure(size: size, pattern: "pairs", threads: 2, core: core, glibc: glibc))
}

if let jsonPath {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard let data = try? encoder.encode(figures), FileManager.default.createFile(atPath: jsonPath, contents: data) else {
        fatalError("heap-bench: cannot write \(jsonPath)")
    }
}

/// One row as a `make bench` figure: the core's samples, glibc as its peer.
func figure(size: Int, pattern: String, threads: Int, core: Samples, glibc: Samples) -> Figure {
    var figure = Figure(group: "host allocator", name: "alloc+free \(size) B, \(pattern), \(threads) thread\(threads == 1 ? "" : "s")",
                        unit: "ns", better: .lower, accelerator: "host", samples: core.values)
    figure.compare(with: "glibc", median: glibc.median)
    if size <= 256 { figure.requireRatio(atLeast: 1) }
    return figure
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
