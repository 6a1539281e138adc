import Testing

@testable import HostSystem

@Suite struct HeadAndTailTests {
    @Test func keepsTheHeadThenTheLastOnesAndCountsTheGap() {
        var kept = HeadAndTail<Int>(tailCapacity: 3)
        var pushedOut: [Int] = []
        for n in 1...10 {
            if let out = kept.append(n, fitsHead: n <= 2) { pushedOut.append(out) }
        }
        #expect(kept.head == [1, 2])
        #expect(kept.tail == [8, 9, 10])
        #expect(kept.droppedCount == 5)
        #expect(pushedOut == [3, 4, 5, 6, 7])
        #expect(kept.all == [1, 2, 8, 9, 10])
    }

    @Test func theHeadClosesOnceAnythingWentToTheTail() {
        var kept = HeadAndTail<String>(tailCapacity: 2)
        kept.append("small", fitsHead: true)
        kept.append("too big", fitsHead: false)
        kept.append("small again", fitsHead: true)
        #expect(kept.head == ["small"])
        #expect(kept.tail == ["too big", "small again"])
        #expect(kept.droppedCount == 0)
    }

    @Test func peakMemoryIsReadFromProc() throws {
        let peak = try #require(PeakMemory.kibibytes())
        #expect(peak > 0)
    }
}
