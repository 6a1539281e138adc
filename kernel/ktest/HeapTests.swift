// In-kernel tests of kmalloc/kfree: size classes, alignment, growth and return of pages,
// invalid and double free detection, and failure without damage.

enum HeapTests {
    static func address(_ p: UnsafeMutableRawPointer) -> UInt64 { UInt64(UInt(bitPattern: p)) }

    /// Free frames once retired pages and every cache (the CPUs' heap bins, the heap's depot
    /// and empty pages, cached stacks) are settled (see Settle).
    static var settledFreeFrames: Int {
        Settle.memory(releaseHeapCache: true)
        return PhysicalMemory.freeFrames
    }

    static let suite = KernelTestSuite(
        name: "heap", explicitOnly: false,
        tests: [
            KernelTest(name: "size_classes") { t in
                let baseline = KernelHeap.statistics.bytesInUse
                var size = 1
                while size <= 16384 {
                    let p = KernelHeap.allocate(size: size)
                    let usable = KernelHeap.blockSize(of: p) ?? 0
                    t.expect(usable >= size, "usable size below the request")
                    t.expect(
                        address(p) >= Layout.heapBase && address(p) < Layout.heapBase + Layout.heapSize,
                        "block outside the window")
                    t.expect(address(p) >> 63 == 0, "block has bit 63 set (Swift would never free it)")
                    p.initializeMemory(as: UInt8.self, repeating: 0xA5, count: usable)
                    KernelHeap.free(p)
                    size = size < 64 ? size + 7 : size * 2 - 5
                }
                t.expect(KernelHeap.statistics.bytesInUse == baseline, "bytes in use not back to baseline")
            },
            KernelTest(name: "alignment") { t in
                var alignment = 16
                while alignment <= 65536 {
                    for size in [1, 24, 100, 3000, 70000] {
                        let p = KernelHeap.allocate(size: size, alignment: alignment)
                        t.expect(address(p) % UInt64(alignment) == 0, "block not aligned as asked")
                        KernelHeap.free(p)
                    }
                    alignment *= 2
                }
            },
            KernelTest(name: "growth_and_return_of_pages") { t in
                let framesBefore = settledFreeFrames
                let before = KernelHeap.statistics
                var blocks: InlineArray<2048, UInt64> = .init(repeating: 0)
                for i in 0..<2048 { blocks[i] = address(KernelHeap.allocate(size: 1024)) }
                let grown = KernelHeap.statistics
                t.expect(grown.mappedBytes >= before.mappedBytes + 2048 * 1024, "heap did not map pages to grow")
                t.expect(PhysicalMemory.freeFrames < framesBefore - 500, "no frames were taken")
                for i in 0..<2048 { KernelHeap.free(UnsafeMutableRawPointer(bitPattern: UInt(blocks[i]))!) }
                let after = KernelHeap.statistics
                t.expect(after.bytesInUse == before.bytesInUse, "bytes in use not back to baseline")
                // Without being asked, the heap keeps only what its caches hold for 1024-byte objects
                // (freed in the order they came, 4 a page): this CPU's bin (8 KiB), the depot (64 KiB)
                // and one empty page, 19 pages.
                let cachedPages = (HeapObjectCache.binBytes + HeapCoreParameters.depotBytesPerClass) / 4096 + 1
                t.expect(after.mappedBytes <= before.mappedBytes + cachedPages * 4096, "emptied pages were not given back")
                t.expect(settledFreeFrames >= framesBefore, "frames not returned")
                t.expect(
                    KernelHeap.statistics.mappedBytes == before.mappedBytes, "pages left mapped once the caches are released")
                t.note {
                    $0.text("mapped before=")
                    $0.dec(before.mappedBytes)
                    $0.text(" peak=")
                    $0.dec(grown.mappedBytes)
                    $0.text(" after=")
                    $0.dec(after.mappedBytes)
                }
            },
            KernelTest(name: "large_blocks") { t in
                for size in [8192, 65536, 1 << 20, 4 << 20] {
                    let p = KernelHeap.allocate(size: size)
                    p.initializeMemory(as: UInt8.self, repeating: 0x3C, count: size)
                    t.expect(p.load(fromByteOffset: size - 1, as: UInt8.self) == 0x3C, "last byte not writable")
                    KernelHeap.free(p)
                }
            },
            KernelTest(name: "invalid_and_double_free_detected") { t in
                let before = KernelHeap.statistics
                let p = KernelHeap.allocate(size: 64)
                let q = KernelHeap.allocate(size: 64)
                KernelHeap.free(p + 16)  // inside a block
                KernelHeap.free(UnsafeMutableRawPointer(bitPattern: UInt(Layout.heapBase + Layout.heapSize - 4096))!)  // unmapped page
                KernelHeap.free(UnsafeMutableRawPointer(bitPattern: 0x20_0000)!)  // outside the window
                KernelHeap.free(p)
                KernelHeap.free(p)  // double
                let after = KernelHeap.statistics
                t.expect(after.invalidFrees == before.invalidFrees + 3, "invalid frees not all detected")
                t.expect(after.doubleFrees == before.doubleFrees + 1, "double free not detected")
                t.expect(KernelHeap.blockSize(of: q) != nil, "a live neighbour was damaged")
                let r = KernelHeap.allocate(size: 64)
                let s = KernelHeap.allocate(size: 64)
                t.expect(r != s && r != q && s != q, "the heap handed out one block twice")
                KernelHeap.free(q)
                KernelHeap.free(r)
                KernelHeap.free(s)
                t.expect(KernelHeap.statistics.bytesInUse == before.bytesInUse, "bytes in use not back to baseline")
            },
            KernelTest(name: "failure_without_damage") { t in
                let framesBefore = settledFreeFrames  // cached objects no longer pin pages anywhere in the window
                let before = KernelHeap.statistics
                // Larger than the window: refused outright.
                if case .success = KernelHeap.tryAllocate(size: Int(Layout.heapSize) * 2) {
                    t.expect(false, "oversized request accepted")
                }
                // Most of the window: either fits the machine's memory or fails cleanly.
                switch KernelHeap.tryAllocate(size: Int(Layout.heapSize) - (1 << 20)) {
                case .success(let p):
                    KernelHeap.free(p)
                    t.note { $0.text("large request fitted in memory") }
                case .failure(let why): t.expect(why == .outOfFrames, "expected outOfFrames")
                }
                let after = KernelHeap.statistics
                t.expect(after.bytesInUse == before.bytesInUse, "bytes in use changed")
                t.expect(after.mappedBytes <= before.mappedBytes + 16 * 4096, "pages left mapped after the failure")
                t.expect(
                    settledFreeFrames + (after.mappedBytes - before.mappedBytes) / 4096 == framesBefore,
                    "frames leaked by the failure")
                let p = KernelHeap.allocate(size: 100)
                KernelHeap.free(p)
            },
        ])
}
