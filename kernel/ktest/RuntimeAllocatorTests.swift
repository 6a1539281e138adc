// In-kernel tests of the Swift runtime allocator: what Swift allocates is freed when released,
// and a long churn leaves the heap exactly where it started.

/// Where `objects_are_freed` keeps its objects (a global: they must live on the heap).
nonisolated(unsafe) var escaped: ChurnNode? = nil

enum RuntimeAllocatorTests {
    static let suite = KernelTestSuite(
        name: "runtime", explicitOnly: false,
        tests: [
            KernelTest(name: "objects_are_freed") { t in
                let before = KernelHeap.statistics
                do {
                    // Kept in a global so the optimizer cannot promote the objects to the stack.
                    escaped = ChurnNode(1)
                    escaped!.next = ChurnNode(2)
                    t.expect(KernelHeap.statistics.blocksInUse == before.blocksInUse + 2, "two objects are not two blocks")
                    t.expect(escaped!.next!.value == 2, "object contents wrong")
                    escaped = nil
                }
                let after = KernelHeap.statistics
                t.expect(after.frees >= before.frees + 2, "released objects were not freed")
                t.expect(after.bytesInUse == before.bytesInUse, "bytes in use not back to baseline")
            },
            KernelTest(name: "alignment_honoured") { t in
                for alignment in [16, 32, 64, 128, 4096] {
                    guard let p = kernelRuntimeAllocate(40, alignment) else {
                        t.expect(false, "allocation failed")
                        continue
                    }
                    t.expect(UInt(bitPattern: p) % UInt(alignment) == 0, "posix_memalign alignment not honoured")
                    kernelRuntimeFree(p)
                }
                t.expect(kernelRuntimeAllocate(40, 24) == nil, "a non-power-of-two alignment was accepted")
            },
            KernelTest(name: "churn_100k_back_to_baseline") { t in
                let before = KernelHeap.statistics
                var checksum = 0
                for i in 0..<100_000 {
                    var numbers: [Int] = []
                    for j in 0..<(i % 24) { numbers.append(j) }
                    let node = ChurnNode(i)
                    node.next = ChurnNode(numbers.count)
                    checksum &+= numbers.count &+ node.next!.value
                    if i % 1000 == 0 {
                        var table: [Int: Int] = [:]
                        for k in 0..<50 { table[k] = k * i }
                        checksum &+= table.count
                    }
                }
                let after = KernelHeap.statistics
                t.expect(checksum != 0, "work was optimised away")
                t.expect(after.bytesInUse == before.bytesInUse, "bytes in use not back to baseline")
                t.expect(after.blocksInUse == before.blocksInUse, "blocks in use not back to baseline")
                t.expect(after.allocations - before.allocations >= 200_000, "fewer allocations than objects made")
                t.note { l in
                    l.text("allocations=")
                    l.dec(after.allocations - before.allocations)
                    l.text(" frees=")
                    l.dec(after.frees - before.frees)
                    l.text(" bytes_before=")
                    l.dec(before.bytesInUse)
                    l.text(" bytes_after=")
                    l.dec(after.bytesInUse)
                }
            },
        ])
}
