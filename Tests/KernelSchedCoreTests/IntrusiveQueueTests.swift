import Testing

@testable import KernelSchedCore

/// A host stand-in for a task record: a class, so the link is shared like `Task.next`.
final class Node: Equatable {
    let id: Int
    var next: Node?
    init(_ id: Int) { self.id = id }
    static func == (a: Node, b: Node) -> Bool { a === b }
}

enum NodeLinks: QueueLinks {
    static func next(of node: Node) -> Node? { node.next }
    static func setNext(of node: Node, to next: Node?) { node.next = next }
}

@Suite struct IntrusiveQueueTests {
    private func drain(_ queue: inout IntrusiveQueue<NodeLinks>) -> [Int] {
        var ids: [Int] = []
        while let node = queue.popFront() { ids.append(node.id) }
        return ids
    }

    @Test func firstInFirstOut() {
        var queue = IntrusiveQueue<NodeLinks>()
        let nodes = (1...4).map(Node.init)
        nodes.forEach { queue.pushBack($0) }
        #expect(queue.count == 4)
        #expect(drain(&queue) == [1, 2, 3, 4])
        #expect(queue.count == 0 && queue.head == nil && queue.tail == nil)
        #expect(nodes.allSatisfy { $0.next == nil }, "popped nodes keep no link")
    }

    @Test(arguments: [1, 2, 3])
    func removingFromHeadMiddleOrTailKeepsTheQueueWhole(_ removed: Int) {
        var queue = IntrusiveQueue<NodeLinks>()
        (1...3).map(Node.init).forEach { queue.pushBack($0) }
        #expect(queue.remove { $0.id == removed }?.id == removed)
        #expect(queue.count == 2)
        queue.pushBack(Node(4))  // the tail must still be right
        #expect(drain(&queue) == [1, 2, 3, 4].filter { $0 != removed })
    }

    @Test func removeFindsNothingAndChangesNothing() {
        var queue = IntrusiveQueue<NodeLinks>()
        (1...2).map(Node.init).forEach { queue.pushBack($0) }
        #expect(queue.remove { $0.id == 9 } == nil)
        #expect(drain(&queue) == [1, 2])
    }
}

@Suite struct StealPolicyTests {
    private func victim(_ lengths: [Int], me: Int = 0, minimum: Int = 1, offline: Set<Int> = []) -> Int? {
        StealPolicy.victim(
            cpus: lengths.count, me: me, minimumLength: minimum,
            isOnline: { !offline.contains($0) }, length: { lengths[$0] })
    }

    @Test func takesFromTheLongestOtherQueue() {
        #expect(victim([9, 1, 3, 2]) == 2, "never itself, however long its own queue")
        #expect(victim([0, 2, 2, 1]) == 1, "the lowest index among equals")
    }

    @Test func nothingBelowTheMinimumAndNothingOffline() {
        #expect(victim([0, 0, 0]) == nil)
        #expect(victim([0, 1, 1], minimum: 2) == nil)
        #expect(victim([0, 5, 1], offline: [1]) == 2)
    }
}
