// A task: a kernel thread's saved context, stack and scheduling links. Records live in the
// kernel heap and are freed by the reaper once the task is dead and off every CPU.
import Hardware
import Synchronization

typealias TaskPointer = UnsafeMutablePointer<Task>
typealias TaskEntry = @convention(c) (UInt64) -> Void

enum TaskState: UInt8 { case ready = 0, running = 1, blocked = 2, dead = 3 }

struct Task: ~Copyable {
    /// The stack pointer saved by `context_switch` while the task is not running.
    var savedRSP: UInt64 = 0
    var id = 0
    let state = Atomic<UInt8>(TaskState.ready.rawValue)
    /// True from the moment a CPU picks the task until that CPU has switched off its stack
    /// (`Scheduler.finishSwitch`): no other CPU may run, steal or reap it meanwhile.
    let onCPU = Atomic<Bool>(false)
    /// The CPU whose queue holds it, or where it last ran.
    var cpu = 0
    /// Pinned tasks are never stolen.
    var pinned = false
    var isIdle = false
    /// Link in a run queue or a wait queue (a task is in at most one).
    var next: TaskPointer? = nil
    /// The kernel stack slot it owns, or -1 (the boot stack).
    var stackSlot = -1
    var stackTop: UInt64 = 0
    /// 512 bytes, 16-byte aligned: FPU/SSE state while switched out.
    var fxArea: UnsafeMutableRawPointer? = nil
    var entry: TaskEntry? = nil
    var argument: UInt64 = 0
    /// The user process this task runs (a `Process`), or nil for a kernel thread.
    var process: UnsafeMutableRawPointer? = nil

    init() {}

    var currentState: TaskState { TaskState(rawValue: state.load(ordering: .acquiring))! }
    func set(_ s: TaskState) { state.store(s.rawValue, ordering: .releasing) }
}

/// An intrusive FIFO of tasks (sched/core/IntrusiveQueue.swift), linked through `Task.next`.
/// Precondition for every call: the owner's lock is held.
typealias TaskQueue = IntrusiveQueue<TaskLinks>

enum TaskLinks: QueueLinks {
    static func next(of task: TaskPointer) -> TaskPointer? { task.pointee.next }
    static func setNext(of task: TaskPointer, to next: TaskPointer?) { task.pointee.next = next }
}

/// Tasks waiting for something; `wait(until:)` re-checks its condition under the queue's lock,
/// so a wake-up between the check and the sleep cannot be lost.
struct WaitQueue: ~Copyable {
    let lock = SpinLock()
    var waiters = TaskQueue()
    init() {}
}

typealias WaitQueuePointer = UnsafeMutablePointer<WaitQueue>

extension WaitQueue {
    static func make() -> WaitQueuePointer {
        let q = KernelHeap.allocate(size: MemoryLayout<WaitQueue>.stride).bindMemory(to: WaitQueue.self, capacity: 1)
        q.initialize(to: WaitQueue())
        return q
    }
}

/// Blocks the current task on `queue` until `condition()` holds.
func wait(on queue: WaitQueuePointer, until condition: () -> Bool) {
    while true {
        let flags = queue.pointee.lock.lock()
        if condition() {
            queue.pointee.lock.unlock(flags)
            return
        }
        let me = CPUs.current.pointee.current!
        me.pointee.set(.blocked)
        queue.pointee.waiters.pushBack(me)
        queue.pointee.lock.unlockKeepingInterruptsOff()
        Scheduler.schedule()
        cpu_restore_rflags(flags)
    }
}

/// Makes every task waiting on `queue` runnable again.
func wakeAll(_ queue: WaitQueuePointer) {
    queue.pointee.lock.withLock {
        while let t = queue.pointee.waiters.popFront() {
            t.pointee.set(.ready)
            Scheduler.enqueue(t, on: t.pointee.cpu)
        }
    }
}
