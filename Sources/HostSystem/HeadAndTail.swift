// A bounded record of a sequence of any length: its first elements, then a ring of the last
// ones, and a count of what fell between. The QMP transcript and the serial console keep their
// messages and lines in one.

public struct HeadAndTail<Element> {
    /// The first elements, for as long as the owner's head limit let them in.
    public private(set) var head: [Element] = []
    private var ring: [Element] = []
    private var ringStart = 0
    public let tailCapacity: Int
    /// Elements pushed out of the tail: neither in `head` nor in `tail`.
    public private(set) var droppedCount = 0

    public init(tailCapacity: Int) {
        precondition(tailCapacity > 0, "HeadAndTail needs room for a tail")
        self.tailCapacity = tailCapacity
    }

    /// Appends `element` to the head while `fitsHead` is true and nothing has gone to the tail
    /// yet, else to the tail. Returns the element pushed out of a full tail, if any.
    @discardableResult
    public mutating func append(_ element: Element, fitsHead: Bool) -> Element? {
        if ring.isEmpty && fitsHead {
            head.append(element)
            return nil
        }
        if ring.count < tailCapacity {
            ring.append(element)
            return nil
        }
        let dropped = ring[ringStart]
        ring[ringStart] = element
        ringStart = (ringStart + 1) % tailCapacity
        droppedCount += 1
        return dropped
    }

    /// The last elements, oldest first.
    public var tail: [Element] { Array(ring[ringStart...] + ring[..<ringStart]) }

    /// Everything kept, oldest first (with a gap between head and tail when `droppedCount > 0`).
    public var all: [Element] { head + tail }
}
