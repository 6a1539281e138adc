// One CPU's ready tasks: the queue, the lock that guards it, and its length published after
// every change, for the other CPUs' stealing decisions and the heartbeat (`length`) and for a
// debugger reading a frozen machine (`Kernel.cpuQueueLengths`).
import Synchronization

struct RunQueue: ~Copyable {
    /// Guards `tasks`. Other CPUs take it to queue work here or to steal from here.
    private let lock = SpinLock()
    private var tasks = TaskQueue()
    /// The length as of the last change; read without the lock.
    let length = Atomic<Int>(0)
    /// This queue's slot in `cpuQueueLengths` (its CPU's index), set by `CPUs.prepare`.
    var cpu = 0

    init() {}

    /// Runs `body` on the tasks holding the lock (interrupts off meanwhile, restored after),
    /// then publishes the length.
    mutating func modify<R>(_ body: (inout TaskQueue) -> R) -> R {
        let flags = lock.lock()
        let result = body(&tasks)
        publish()
        lock.unlock(flags)
        return result
    }

    /// `modify` for a caller that runs with interrupts off and keeps them off.
    /// Precondition: interrupts off.
    mutating func modifyInterruptsOff<R>(_ body: (inout TaskQueue) -> R) -> R {
        lock.lockInterruptsOff()
        let result = body(&tasks)
        publish()
        lock.unlockKeepingInterruptsOff()
        return result
    }

    /// Precondition: `lock` is held.
    private func publish() {
        length.store(tasks.count, ordering: .relaxed)
        cpuQueueLengths[cpu] = UInt64(tasks.count)
    }
}
