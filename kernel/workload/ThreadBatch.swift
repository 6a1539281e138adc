// A batch of kernel threads the caller waits for: a countdown each thread ends with, the queue
// the caller sleeps on meanwhile, and how many threads ran on each CPU. Used by the stealing
// test, the steal and speed-up storms and the shell's `steal`. One batch at a time.
import Synchronization

enum ThreadBatch {
    static let remaining = Atomic<Int>(0)
    /// Threads of the batch that finished on each CPU.
    nonisolated(unsafe) static var ranOn: PerCPUTable<Int> = .init(repeating: 0)
    nonisolated(unsafe) static var done: WaitQueuePointer? = nil
    static let lock = SpinLock()
    /// Live tasks before the batch: it is over once they are back to this (every thread reaped).
    nonisolated(unsafe) static var tasksBefore = 0

    /// Makes the wait queue (once), so a caller can do it before taking a memory baseline.
    static func prepare() { done = done ?? WaitQueue.make() }

    /// Expects `count` threads.
    static func start(count: Int) {
        prepare()
        for c in 0..<CPUs.count { ranOn[c] = 0 }
        tasksBefore = Scheduler.liveTasks.load(ordering: .relaxed)
        remaining.store(count, ordering: .releasing)
    }

    /// The last thing a batch thread does: count it, and wake the waiter after the last one.
    static func finishOne() {
        let c = CPUs.currentIndex
        lock.withLock { ranOn[c] += 1 }
        if remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 { wakeAll(done!) }
    }

    /// Runs a batch: `count` threads, thread i running `entry(i)` queued on CPU `placement(i)`,
    /// then waits until every one has finished and been reaped. False when a spawn failed (no
    /// stack or memory left); the threads already queued are still waited for.
    @discardableResult
    static func run(count: Int, _ entry: TaskEntry, pinned: Bool = false, on placement: (Int) -> Int = { _ in 0 }) -> Bool {
        start(count: count)
        var spawned = 0
        while spawned < count && Scheduler.spawn(entry, UInt64(spawned), on: placement(spawned), pinned: pinned) { spawned += 1 }
        if spawned < count { remaining.wrappingSubtract(count - spawned, ordering: .acquiringAndReleasing) }
        waitForAll()
        return spawned == count
    }

    /// Waits until every thread has finished and been reaped: a thread that has counted itself
    /// may still hold its stack for a moment, and a memory baseline taken then comes out short.
    static func waitForAll() {
        wait(on: done!) { remaining.load(ordering: .acquiring) == 0 }
        _ = TickWait.wait(milliseconds: 10_000) { Scheduler.liveTasks.load(ordering: .relaxed) <= tasksBefore }
    }

    /// CPUs that ran at least one thread of the batch.
    static var cpusUsed: Int {
        var n = 0
        for c in 0..<CPUs.count where CPUs.isOnline(c) && ranOn[c] > 0 { n += 1 }
        return n
    }

    /// ` cpu0.ran=<n> cpu1.ran=<n> ... cpus_used=<n>` for a figure line.
    static func describe(_ l: ConsoleLine) {
        for c in 0..<CPUs.count where CPUs.isOnline(c) {
            l.field(cpu: c, "ran", ranOn[c])
        }
        l.field("cpus_used", cpusUsed)
    }
}
