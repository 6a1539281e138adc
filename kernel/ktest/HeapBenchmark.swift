// Figures, not checks: kmalloc/kfree pair cost per size class inside the kernel, printed as
// `bench: kmalloc ...` lines for `make bench`. Selected only by name (`ktest=bench.heap`).
import Hardware

enum HeapBenchmark {
    static let suite = KernelTestSuite(
        name: "bench", explicitOnly: true,
        tests: [
            KernelTest(name: "heap") { t in
                for size in [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 16384] {
                    let rounds = 20_000
                    // Immediate pairs: the common case of a short-lived object.
                    var start = cpu_rdtsc()
                    for _ in 0..<rounds { KernelHeap.free(KernelHeap.allocate(size: size)) }
                    let pairTicks = cpu_rdtsc() &- start
                    // 256 live blocks freed in reverse: exercises the free lists.
                    var live: InlineArray<256, UInt64> = .init(repeating: 0)
                    start = cpu_rdtsc()
                    for _ in 0..<(rounds / 256) {
                        for i in 0..<256 { live[i] = UInt64(UInt(bitPattern: KernelHeap.allocate(size: size))) }
                        for i in stride(from: 255, through: 0, by: -1) {
                            KernelHeap.free(UnsafeMutableRawPointer(bitPattern: UInt(live[i]))!)
                        }
                    }
                    let batchTicks = cpu_rdtsc() &- start
                    // Keys: docs/kernel-interface.md, "Figure lines".
                    Console.record("bench: kmalloc") { l in
                        l.field("size", size)
                        l.field("pair_ns", pairTicks * 1_000_000 / Clock.ticksPerMillisecond / UInt64(rounds))
                        l.field("batch_ns", batchTicks * 1_000_000 / Clock.ticksPerMillisecond / UInt64(rounds / 256 * 256))
                    }
                }
                t.expect(KernelHeap.statistics.bytesInUse >= 0, "statistics unreadable")
            },
            KernelTest(name: "threads_1000") { t in
                // 1,000 threads of 2,000,000 rounds each, all created on CPU 0: the time to finish
                // them shows what stealing buys on this many CPUs.
                workerRounds = 2_000_000
                SMPTests.stealing(&t)
                workerRounds = 400_000
            },
        ])
}
