// Host tests of the size-class table: every request maps to the smallest class that holds it,
// and the divide-free object-start check agrees with real division at every page offset.

import Testing

@testable import KernelMemoryCore

@Suite("HeapSizeClass")
struct HeapSizeClassTests {
    @Test func classesAreIncreasingMultiplesOf16ThatFitAPageAtLeastTwice() {
        var previous = 0
        for index in 0..<HeapSizeClass.count {
            let size = HeapSizeClass.size(ofClass: index)
            #expect(size > previous)
            #expect(size % 16 == 0)
            #expect(HeapSizeClass.objectsPerPage(ofClass: index) == 4096 / size)
            #expect(4096 / size >= 2)
            previous = size
        }
        #expect(previous == HeapSizeClass.largestSize)
        #expect(KernelHeapCore<TestWindowBacking>.sizeClassCount == HeapSizeClass.count)
    }

    @Test func everySizeGetsTheSmallestClassThatHoldsIt() {
        for size in 1...HeapSizeClass.largestSize {
            let index = HeapSizeClass.index(forSize: size)
            #expect(HeapSizeClass.size(ofClass: index) >= size, "size \(size)")
            if index > 0 { #expect(HeapSizeClass.size(ofClass: index - 1) < size, "size \(size)") }
        }
    }

    @Test func objectStartCheckMatchesDivision() {
        for index in 0..<HeapSizeClass.count {
            let size = HeapSizeClass.size(ofClass: index)
            for offset in 0..<4096 {
                #expect(HeapSizeClass.isObjectStart(offset, ofClass: index) == (offset % size == 0))
            }
        }
    }

    @Test func pageDescriptorsAreSixteenBytes() {
        #expect(MemoryLayout<HeapPageDescriptor>.stride == 16)
        // The figure the kernel's memory plan is built on, for a 256 MiB window: 65536
        // descriptors of 16 bytes, 22 class states of 40, 32 run-cache slots of 8, 8 KiB of
        // page bitmap, 129 bytes of size-to-class table, sections rounded to 16 bytes, then the
        // depot: 22 offsets, 22 counts and 9,074 slots (1,024 a class up to 64 bytes, then 64 KiB
        // of objects: 819 of 80 bytes ... 32 of 2048).
        #expect(MemoryLayout<HeapSizeClassState>.stride == 40)
        #expect(KernelHeapCore<TestWindowBacking>.metadataBytes(windowPages: 65536) == 1_130_992)
    }
}
