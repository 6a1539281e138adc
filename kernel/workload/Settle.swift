// Bringing the kernel's memory to a state whose figures compare exactly: dead tasks reaped
// (on whatever CPU they left), cached kernel stacks returned, optionally the heap's cached
// empty pages returned, and retired pages shot down and freed. Tests and storms call it
// before reading "before" and "after" figures. Precondition: a task with interrupts on.
import Synchronization

enum Settle {
    static func memory(releaseHeapCache: Bool = false) {
        TickWait.wait(milliseconds: 10_000) { Scheduler.deadAwaitingReap.load(ordering: .relaxed) == 0 }
        KernelStacks.trimCache()
        if releaseHeapCache { KernelHeap.releaseCachedPages() }
        KernelMappings.flush()
    }
}
