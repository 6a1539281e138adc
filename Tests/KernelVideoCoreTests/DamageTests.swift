import KernelVideoCore
// Host tests of the compositor's damage bookkeeping: the queue keeps order across its ring's
// wrap and growth, and merging joins exactly the rectangles that overlap.
import Testing

@Suite struct DamageQueueTests {
    static func rect(_ i: Int) -> ScreenRect { ScreenRect(x: i, y: 2 * i, width: 1 + i % 5, height: 1 + i % 3) }

    @Test func keepsFirstInFirstOutAcrossWrapAndGrowth() {
        var queue = DamageQueue(capacity: 4)
        var expected: [ScreenRect] = []
        var next = 0
        // Interleave pushes and pops so the head walks round the ring before it must grow.
        for round in 0..<50 {
            for _ in 0..<(1 + round % 4) {
                queue.pushBack(Self.rect(next))
                expected.append(Self.rect(next))
                next += 1
            }
            for _ in 0..<(round % 3) {
                #expect(queue.popFront() == (expected.isEmpty ? nil : expected.removeFirst()))
            }
            #expect(queue.count == expected.count)
        }
        #expect(queue.capacity > 4)
        while let r = queue.popFront() { #expect(r == expected.removeFirst()) }
        #expect(expected.isEmpty)
        #expect(queue.popFront() == nil)
    }

    @Test func dropsEmptyRectangles() {
        var queue = DamageQueue(capacity: 1)
        queue.pushBack(ScreenRect(x: 5, y: 5, width: 0, height: 9))
        queue.pushBack(ScreenRect(x: 5, y: 5, width: 3, height: -1))
        #expect(queue.count == 0)
    }
}

@Suite struct ScreenRectTests {
    @Test func intersectionAndUnion() {
        let a = ScreenRect(x: 0, y: 0, width: 10, height: 10)
        let b = ScreenRect(x: 5, y: 8, width: 10, height: 10)
        #expect(a.intersection(b) == ScreenRect(x: 5, y: 8, width: 5, height: 2))
        #expect(a.union(b) == ScreenRect(x: 0, y: 0, width: 15, height: 18))
        // Touching edges do not overlap.
        #expect(!a.intersects(ScreenRect(x: 10, y: 0, width: 4, height: 4)))
        #expect(a.union(.empty) == a)
    }

    @Test func mergingJoinsOverlapsTransitivelyAndKeepsTheRest() {
        // a overlaps c only through b, which comes last: the joined result must hold all three.
        let a = ScreenRect(x: 0, y: 0, width: 4, height: 4)
        let c = ScreenRect(x: 6, y: 0, width: 4, height: 4)
        let apart = ScreenRect(x: 50, y: 50, width: 2, height: 2)
        let b = ScreenRect(x: 3, y: 1, width: 4, height: 1)
        let merged = ScreenRect.merged([a, c, apart, .empty, b])
        #expect(merged.count == 2)
        #expect(merged.contains(apart))
        #expect(merged.contains(ScreenRect(x: 0, y: 0, width: 10, height: 4)))
    }

    @Test func mergedRectanglesNeverOverlapAndCoverEveryInput() {
        var state: UInt64 = 7
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<200 {
            let rects = (0..<(1 + next(12))).map { _ in
                ScreenRect(x: next(100), y: next(100), width: next(30), height: next(30))
            }
            let merged = ScreenRect.merged(rects)
            for i in merged.indices {
                for j in merged.indices where j > i { #expect(!merged[i].intersects(merged[j])) }
            }
            for r in rects where !r.isEmpty {
                #expect(merged.contains { $0.union(r) == $0 })
            }
        }
    }
}
