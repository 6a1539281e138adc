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

/// An intrusive FIFO of tasks. Precondition for every call: the owner's lock is held.
struct TaskQueue {
    var head: TaskPointer? = nil
    var tail: TaskPointer? = nil
    var count = 0

    mutating func pushBack(_ t: TaskPointer) {
        t.pointee.next = nil
        if let tail { tail.pointee.next = t } else { head = t }
        tail = t
        count += 1
    }

    mutating func popFront() -> TaskPointer? {
        guard let h = head else { return nil }
        head = h.pointee.next
        if head == nil { tail = nil }
        h.pointee.next = nil
        count -= 1
        return h
    }

    /// Removes and returns the first task `accept` likes.
    mutating func remove(where accept: (TaskPointer) -> Bool) -> TaskPointer? {
        var previous: TaskPointer? = nil
        var t = head
        while let task = t {
            if accept(task) {
                if let previous { previous.pointee.next = task.pointee.next } else { head = task.pointee.next }
                if tail == task { tail = previous }
                task.pointee.next = nil
                count -= 1
                return task
            }
            previous = task
            t = task.pointee.next
        }
        return nil
    }
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
        if condition() { queue.pointee.lock.unlock(flags); return }
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
