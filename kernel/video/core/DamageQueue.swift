// The compositor's damage queue: rectangles of the screen to compose again, first in first out.
// A ring buffer over a Swift Array used as a deque (the seed's VecDeque): it grows by doubling
// when full and is drained once a frame. Plain Swift, built for the host too (KernelVideoCore).

public struct DamageQueue {
    private var slots: [ScreenRect]
    private var head = 0
    public private(set) var count = 0

    public init(capacity: Int) {
        slots = [ScreenRect](repeating: .empty, count: max(capacity, 1))
    }

    public var capacity: Int { slots.count }

    /// Queues `r`; an empty rectangle is no damage and is dropped.
    public mutating func pushBack(_ r: ScreenRect) {
        if r.isEmpty { return }
        if count == slots.count {
            var grown = [ScreenRect](repeating: .empty, count: slots.count * 2)
            for i in 0..<count { grown[i] = slots[(head + i) % slots.count] }
            slots = grown
            head = 0
        }
        slots[(head + count) % slots.count] = r
        count += 1
    }

    public mutating func popFront() -> ScreenRect? {
        if count == 0 { return nil }
        let r = slots[head]
        head = (head + 1) % slots.count
        count -= 1
        return r
    }
}
