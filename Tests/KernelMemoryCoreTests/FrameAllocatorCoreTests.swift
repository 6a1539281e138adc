// Host tests of the physical frame allocator core: memory-map ranges, reservations, single and
// contiguous allocation, exhaustion, every kind of bad free, and the counters.

import Testing

@testable import KernelMemoryCore

/// A frame allocator over storage the test owns.
final class TestFrames {
    let storage: UnsafeMutablePointer<UInt64>
    var frames: FrameAllocatorCore

    init(frameCount: Int) {
        let words = FrameAllocatorCore.bitmapWords(frameCount: frameCount)
        storage = .allocate(capacity: max(words, 1))
        storage.initialize(repeating: 0xDEAD_BEEF_DEAD_BEEF, count: max(words, 1))  // any content
        frames = FrameAllocatorCore(bitmap: storage, frameCount: frameCount)
    }

    deinit { storage.deallocate() }
}

@Suite("FrameAllocatorCore")
struct FrameAllocatorCoreTests {
    @Test func bitmapWordsCoverBothBitmaps() {
        #expect(FrameAllocatorCore.bitmapWords(frameCount: 0) == 0)
        #expect(FrameAllocatorCore.bitmapWords(frameCount: 1) == 2)
        #expect(FrameAllocatorCore.bitmapWords(frameCount: 64) == 2)
        #expect(FrameAllocatorCore.bitmapWords(frameCount: 65) == 4)
        #expect(FrameAllocatorCore.bitmapWords(frameCount: 1 << 20) == 2 * (1 << 14))
    }

    @Test func nothingIsUsableUntilAdded() {
        let test = TestFrames(frameCount: 1000)
        #expect(test.frames.totalFrames == 0)
        #expect(test.frames.freeFrames == 0)
        #expect(test.frames.allocate() == nil)
        #expect(test.frames.allocateContiguous(count: 1, alignment: 1) == nil)
        #expect(test.frames.state(of: 5) == .notUsable)
    }

    @Test func rangesAreClippedAndNotCountedTwice() {
        let test = TestFrames(frameCount: 1000)
        test.frames.addFreeRange(firstFrame: -10, count: 20)  // 0..<10
        test.frames.addFreeRange(firstFrame: 990, count: 100)  // 990..<1000
        test.frames.addFreeRange(firstFrame: 5, count: 10)  // overlaps: only 10..<15 new
        test.frames.addFreeRange(firstFrame: 2000, count: 5)  // entirely outside
        test.frames.addFreeRange(firstFrame: 100, count: -3)  // negative count: nothing
        test.frames.addFreeRange(firstFrame: Int.max - 1, count: Int.max)  // no overflow
        #expect(test.frames.totalFrames == 25)
        #expect(test.frames.freeFrames == 25)
        #expect(test.frames.state(of: 14) == .free)
        #expect(test.frames.state(of: 15) == .notUsable)
        #expect(test.frames.state(of: 999) == .free)
        #expect(test.frames.state(of: 1000) == .notUsable)
    }

    @Test func allocatesEveryUsableFrameOnceThenReturnsNil() {
        let test = TestFrames(frameCount: 300)
        test.frames.addFreeRange(firstFrame: 3, count: 70)
        test.frames.addFreeRange(firstFrame: 200, count: 64)
        var seen = Set<Int>()
        while let frame = test.frames.allocate() {
            #expect(seen.insert(frame).inserted, "frame \(frame) handed out twice")
            #expect((3..<73).contains(frame) || (200..<264).contains(frame))
        }
        #expect(seen.count == 134)
        #expect(test.frames.freeFrames == 0)
        #expect(test.frames.allocate() == nil)
        #expect(test.frames.free(100) == .notUsable)
        #expect(test.frames.free(210) == .freed)
        #expect(test.frames.allocate() == 210)
    }

    @Test func reserveTakesOnlyFreeUsableFrames() {
        let test = TestFrames(frameCount: 256)
        test.frames.addFreeRange(firstFrame: 0, count: 128)
        let first = test.frames.allocate()
        #expect(first == 0)
        test.frames.reserve(firstFrame: 0, count: 16)  // frame 0 already allocated
        test.frames.reserve(firstFrame: 120, count: 50)  // 128... are not usable
        #expect(test.frames.totalFrames == 128)
        #expect(test.frames.freeFrames == 128 - 1 - 15 - 8)
        #expect(test.frames.state(of: 10) == .allocated)
        #expect(test.frames.state(of: 130) == .notUsable)
        #expect(test.frames.allocate() == 16)
        // Adding the range again does not free the reserved frames.
        test.frames.addFreeRange(firstFrame: 0, count: 128)
        #expect(test.frames.state(of: 10) == .allocated)
        // A reserved frame can be given back later (boot modules, for instance).
        #expect(test.frames.free(firstFrame: 1, count: 15) == .freed)
        #expect(test.frames.state(of: 10) == .free)
    }

    @Test func withdrawnFramesAreNeverHandedOutOrTakenBack() {
        let test = TestFrames(frameCount: 256)
        test.frames.addFreeRange(firstFrame: 0, count: 256)
        let taken = test.frames.allocate()!  // frame 0, in use
        test.frames.withdraw(firstFrame: 0, count: 16)  // the "first MiB"
        test.frames.withdraw(firstFrame: 250, count: 100)  // clipped
        #expect(test.frames.totalFrames == 256 - 16 - 6)
        #expect(test.frames.freeFrames == 256 - 16 - 6)
        #expect(test.frames.free(taken) == .notUsable)
        #expect(test.frames.free(firstFrame: 10, count: 10) == .notUsable)
        #expect(test.frames.state(of: 5) == .notUsable)
        #expect(test.frames.allocate() == 16)
        #expect(test.frames.allocateContiguous(count: 240, alignment: 1) == nil)
    }

    @Test(arguments: [1, 2, 8, 64, 512])
    func contiguousRunsAreAlignedAndFree(alignment: Int) {
        let test = TestFrames(frameCount: 4096)
        test.frames.addFreeRange(firstFrame: 1, count: 4000)
        // Fragment the start: take every other frame of the first 300.
        var taken: [Int] = []
        for _ in 0..<300 { if let frame = test.frames.allocate() { taken.append(frame) } }
        for (index, frame) in taken.enumerated() where index % 2 == 0 { #expect(test.frames.free(frame) == .freed) }
        let freeBefore = test.frames.freeFrames
        guard let first = test.frames.allocateContiguous(count: 37, alignment: alignment) else {
            Issue.record("no run found")
            return
        }
        #expect(first % alignment == 0)
        #expect(first >= 300, "a fragmented region cannot hold 37 consecutive frames")
        for frame in first..<(first + 37) { #expect(test.frames.state(of: frame) == .allocated) }
        #expect(test.frames.freeFrames == freeBefore - 37)
        #expect(test.frames.free(firstFrame: first, count: 37) == .freed)
        #expect(test.frames.freeFrames == freeBefore)
    }

    @Test func contiguousFailsCleanlyWhenNoRunFits() {
        let test = TestFrames(frameCount: 256)
        test.frames.addFreeRange(firstFrame: 1, count: 100)  // 1..<101
        test.frames.addFreeRange(firstFrame: 102, count: 100)  // 102..<202
        #expect(test.frames.allocateContiguous(count: 101, alignment: 1) == nil)
        #expect(test.frames.allocateContiguous(count: 100, alignment: 4) == nil)  // 4 and 104 both run into a hole
        #expect(test.frames.allocateContiguous(count: 0, alignment: 1) == nil)
        #expect(test.frames.allocateContiguous(count: 4, alignment: 3) == nil)
        #expect(test.frames.freeFrames == 200)
        #expect(test.frames.allocateContiguous(count: 100, alignment: 2) == 102)
        #expect(test.frames.allocateContiguous(count: 100, alignment: 1) == 1)
        #expect(test.frames.allocate() == nil)
    }

    @Test func badFreesAreReportedAndChangeNothing() {
        let test = TestFrames(frameCount: 200)
        test.frames.addFreeRange(firstFrame: 10, count: 100)
        let a = test.frames.allocateContiguous(count: 4, alignment: 1)!
        #expect(a == 10)
        let free = test.frames.freeFrames
        #expect(test.frames.free(-1) == .outOfRange)
        #expect(test.frames.free(200) == .outOfRange)
        #expect(test.frames.free(firstFrame: 190, count: 11) == .outOfRange)
        #expect(test.frames.free(firstFrame: 10, count: -1) == .outOfRange)
        #expect(test.frames.free(5) == .notUsable)
        #expect(test.frames.free(50) == .doubleFree)
        // All or nothing: frames 10...13 are in use but 14 is free, so nothing changes.
        #expect(test.frames.free(firstFrame: 10, count: 5) == .doubleFree)
        #expect(test.frames.state(of: 12) == .allocated)
        // A run that reaches into unusable frames is refused as a whole.
        #expect(test.frames.free(firstFrame: 8, count: 4) == .notUsable)
        #expect(test.frames.state(of: 10) == .allocated)
        #expect(test.frames.freeFrames == free)
        #expect(test.frames.free(firstFrame: 10, count: 4) == .freed)
        #expect(test.frames.free(10) == .doubleFree)
        #expect(test.frames.freeFrames == free + 4)
    }

    @Test func lowWaterTracksTheMinimumSinceReset() {
        let test = TestFrames(frameCount: 128)
        test.frames.addFreeRange(firstFrame: 0, count: 128)
        #expect(test.frames.lowWaterFrames == 0)  // not reset yet
        test.frames.resetLowWater()
        #expect(test.frames.lowWaterFrames == 128)
        let run = test.frames.allocateContiguous(count: 20, alignment: 1)!
        var singles: [Int] = []
        for _ in 0..<10 { singles.append(test.frames.allocate()!) }
        #expect(test.frames.lowWaterFrames == 98)
        for frame in singles { _ = test.frames.free(frame) }
        #expect(test.frames.free(firstFrame: run, count: 20) == .freed)
        #expect(test.frames.freeFrames == 128)
        #expect(test.frames.lowWaterFrames == 98)
        test.frames.reserve(firstFrame: 0, count: 40)
        #expect(test.frames.lowWaterFrames == 88)
        test.frames.resetLowWater()
        #expect(test.frames.lowWaterFrames == 88)
        #expect(test.frames.totalFrames == 128)
    }

    @Test func freedFramesAreFoundAgainBelowTheSearchHint() {
        let test = TestFrames(frameCount: 1 << 16)
        test.frames.addFreeRange(firstFrame: 0, count: 1 << 16)
        var all: [Int] = []
        while let frame = test.frames.allocate() { all.append(frame) }
        #expect(all.count == 1 << 16)
        #expect(all == Array(0..<(1 << 16)))
        var generator = SeededGenerator(seed: 7)
        let victims = all.shuffled(using: &generator).prefix(1000)
        for frame in victims { #expect(test.frames.free(frame) == .freed) }
        var again = Set<Int>()
        while let frame = test.frames.allocate() { again.insert(frame) }
        #expect(again == Set(victims))
    }
}
