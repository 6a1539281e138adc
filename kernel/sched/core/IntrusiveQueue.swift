// An intrusive FIFO: each element carries its own link, so queueing never allocates (the run
// queues, the wait queues). Plain Swift: the kernel compiles it, and `swift test` reaches it as
// KernelSchedCore. Precondition for every call: the owner's lock is held.

/// How to reach an element's link: each element sits in at most one queue at a time.
public protocol QueueLinks {
    associatedtype Element: Equatable
    static func next(of element: Element) -> Element?
    static func setNext(of element: Element, to next: Element?)
}

public struct IntrusiveQueue<Links: QueueLinks> {
    public typealias Element = Links.Element

    public private(set) var head: Element? = nil
    public private(set) var tail: Element? = nil
    public private(set) var count = 0

    public init() {}

    public mutating func pushBack(_ element: Element) {
        Links.setNext(of: element, to: nil)
        if let tail { Links.setNext(of: tail, to: element) } else { head = element }
        tail = element
        count += 1
    }

    public mutating func popFront() -> Element? {
        guard let first = head else { return nil }
        head = Links.next(of: first)
        if head == nil { tail = nil }
        Links.setNext(of: first, to: nil)
        count -= 1
        return first
    }

    /// Removes and returns the first element `accept` likes.
    public mutating func remove(where accept: (Element) -> Bool) -> Element? {
        var previous: Element? = nil
        var candidate = head
        while let element = candidate {
            if accept(element) {
                if let previous {
                    Links.setNext(of: previous, to: Links.next(of: element))
                } else {
                    head = Links.next(of: element)
                }
                if tail == element { tail = previous }
                Links.setNext(of: element, to: nil)
                count -= 1
                return element
            }
            previous = element
            candidate = Links.next(of: element)
        }
        return nil
    }
}
