// In-kernel tests of the frame allocator over the real memory map.
import Hardware

enum FrameAllocatorTests {
    static let suite = KernelTestSuite(
        name: "frames", explicitOnly: false,
        tests: [
            KernelTest(name: "single_frames") { t in
                let before = PhysicalMemory.freeFrames
                var frames: InlineArray<64, UInt64> = .init(repeating: 0)
                for i in 0..<64 {
                    guard let f = PhysicalMemory.allocateFrame() else {
                        t.expect(false, "allocation failed")
                        return
                    }
                    frames[i] = f
                    t.expect(f & 0xFFF == 0, "frame not page-aligned")
                    t.expect(f >= 1 << 20, "frame inside the first MiB")
                    t.expect(f < kernel_image_start() || f >= kernel_image_end(), "frame inside the kernel image")
                }
                for i in 0..<64 { for j in 0..<i { t.expect(frames[i] != frames[j], "same frame twice") } }
                t.expect(PhysicalMemory.freeFrames == before - 64, "free count did not drop by 64")
                for i in 0..<64 { PhysicalMemory.freeFrame(frames[i]) }
                t.expect(PhysicalMemory.freeFrames == before, "free count not back to baseline")
            },
            KernelTest(name: "contiguous_aligned") { t in
                let before = PhysicalMemory.freeFrames
                guard let run = PhysicalMemory.allocateContiguous(count: 16, alignment: 16) else {
                    t.expect(false, "contiguous allocation failed")
                    return
                }
                t.expect(run % (16 * Layout.pageSize) == 0, "run not aligned to 16 frames")
                t.expect(PhysicalMemory.freeFrames == before - 16, "free count did not drop by 16")
                for i in 0..<16 { PhysicalMemory.freeFrame(run + UInt64(i) * Layout.pageSize) }
                t.expect(PhysicalMemory.freeFrames == before, "free count not back to baseline")
            },
            KernelTest(name: "double_free_detected") { t in
                guard let f = PhysicalMemory.allocateFrame() else {
                    t.expect(false, "allocation failed")
                    return
                }
                let frame = Int(f / Layout.pageSize)
                let first = PhysicalMemory.lock.withLock { PhysicalMemory.frames!.free(frame) }
                let second = PhysicalMemory.lock.withLock { PhysicalMemory.frames!.free(frame) }
                let kernel = PhysicalMemory.lock.withLock {
                    PhysicalMemory.frames!.free(Int(kernel_image_start() / Layout.pageSize))
                }
                t.expect(first == .freed, "first free refused")
                t.expect(second == .doubleFree, "second free not reported as a double free")
                t.expect(kernel == .notUsable, "freeing a kernel-image frame was not refused")
            },
            KernelTest(name: "counters") { t in
                t.expect(PhysicalMemory.totalFrames > 0, "no usable frames")
                t.expect(PhysicalMemory.lowWaterFrames <= PhysicalMemory.freeFrames, "low water above free")
                t.expect(PhysicalMemory.freeFrames <= PhysicalMemory.totalFrames, "more free than total")
            },
        ])
}
