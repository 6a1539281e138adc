// Waiting for a condition that no single event announces (the reaper on another CPU, a
// deadline): the task blocks on a queue the boot CPU's tick wakes every tick, re-checking the
// condition each time. Nothing spins, so on a host with fewer cores than vCPUs the CPU that
// has the work to do gets the time.

enum TickWait {
    nonisolated(unsafe) static var queue: WaitQueuePointer? = nil

    static func initialize() { queue = WaitQueue.make() }

    /// Blocks the current task until `condition()` holds or `milliseconds` pass; returns
    /// whether the condition holds. Precondition: a task context with interrupts on.
    @discardableResult
    static func wait(milliseconds: UInt64, until condition: () -> Bool) -> Bool {
        let deadline = Clock.millisecondsSinceBoot + milliseconds
        Kernel.wait(on: queue!) { condition() || Clock.millisecondsSinceBoot >= deadline }
        return condition()
    }

    /// Called by the boot CPU's tick.
    static func tick() {
        if let q = queue, q.pointee.waiters.count > 0 { wakeAll(q) }
    }

    /// Wakes every waiter now (so a killed task's sleep ends at once).
    static func wakeEveryone() { if let q = queue { wakeAll(q) } }
}
