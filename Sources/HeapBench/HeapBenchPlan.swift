// heap-bench's plan: for each size and pattern, both allocators warmed up, then timed runs
// interleaved; then the two-thread rows. Prints the table and returns the rows as figures.

import BenchReport
import Foundation
import KernelMemoryCore

enum HeapBenchPlan {
    static func run(sizes: [Int], patterns: [Pattern]) -> [Figure] {
        print("heap-bench: ns per allocate+free pair, median [min-max] of \(repetitions) runs of \(pairsPerRun) pairs")
        print(
            "heap-bench: core = KernelHeapCore in a 256 MiB window behind a HeapObjectCache (slab sizes, <= 2048 B), as kmalloc; page maps counted, not timed"
        )
        print("heap-bench: glibc = malloc/free")
        print("heap-bench: the last line is the geometric mean of the core/glibc column for sizes <= 256, both patterns")
        print(pad("size", 7) + pad("pattern", 9) + pad("core", 24) + pad("glibc", 24) + "core/glibc")
        var bench = Bench(window: BenchWindow())
        // Bring the CPU to speed before the first row counts (frequency scaling would penalise it).
        for _ in 0..<3 {
            _ = bench.run(.glibc, .pairs, size: 64)
            _ = bench.run(.core, .pairs, size: 64)
        }
        var smallRatios: [Double] = []
        var figures: [Figure] = []
        for size in sizes {
            for pattern in patterns {
                var samples: [Allocator: [Double]] = [.core: [], .glibc: []]
                _ = bench.run(.core, pattern, size: size)  // warm up both: pages mapped, caches filled
                _ = bench.run(.glibc, pattern, size: size)
                for _ in 0..<repetitions {
                    // Interleave the allocators so drift in machine speed hits both alike.
                    samples[.core]!.append(bench.run(.core, pattern, size: size))
                    samples[.glibc]!.append(bench.run(.glibc, pattern, size: size))
                }
                let core = Samples(samples[.core]!)
                let glibc = Samples(samples[.glibc]!)
                let ratio = core.median / glibc.median
                if size <= 256 { smallRatios.append(ratio) }
                print(
                    pad("\(size)", 7) + pad(pattern.rawValue, 9) + pad(core.text, 24) + pad(glibc.text, 24)
                        + format(ratio, 6, decimals: 2))
                figures.append(figure(size: size, pattern: pattern.rawValue, threads: 1, core: core, glibc: glibc))
            }
        }
        var cacheTotals = HeapCacheTotals()
        cacheTotals.add(bench.cache)
        let stats = bench.heap.statistics(correctedBy: cacheTotals)
        print(
            "heap-bench: core pages mapped \(bench.heap.backing.pagesMapped), unmapped \(bench.heap.backing.pagesUnmapped), "
                + "bytes in use at end \(stats.bytesInUse), peak \(stats.peakBytesInUse)")
        let geometricMean = exp(smallRatios.map { log($0) }.reduce(0, +) / Double(max(1, smallRatios.count)))
        print(
            "heap-bench: core/glibc ratio for sizes <= 256: "
                + (smallRatios.isEmpty ? "n/a" : format(geometricMean, 0, decimals: 2)) + " (target <= 1.00)")

        // Two threads: both allocate and free pairs at once, each with its own object cache and the core
        // behind one lock (as in the kernel: per-CPU caches, one lock on the core), glibc with its
        // per-thread caches and arenas.
        let twoThreads = TwoThreadBench(window: bench.window)
        print(
            "heap-bench: 2 threads at once, pairs pattern, wall ns per pair per thread, median [min-max] of \(repetitions) runs")
        print(pad("size", 7) + pad("threads", 9) + pad("core", 24) + pad("glibc", 24) + "core/glibc")
        for size in sizes where size <= 4096 {
            var samples: [Allocator: [Double]] = [.core: [], .glibc: []]
            _ = twoThreads.run(.core, size: size)
            _ = twoThreads.run(.glibc, size: size)
            for _ in 0..<repetitions {
                samples[.core]!.append(twoThreads.run(.core, size: size))
                samples[.glibc]!.append(twoThreads.run(.glibc, size: size))
            }
            let core = Samples(samples[.core]!)
            let glibc = Samples(samples[.glibc]!)
            print(
                pad("\(size)", 7) + pad("2", 9) + pad(core.text, 24) + pad(glibc.text, 24)
                    + format(core.median / glibc.median, 6, decimals: 2))
            figures.append(figure(size: size, pattern: "pairs", threads: 2, core: core, glibc: glibc))
        }
        return figures
    }
}
