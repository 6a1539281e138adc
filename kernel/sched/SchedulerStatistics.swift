// The scheduler's figures: the `sched: stats` line, and the task fields the heartbeat line
// shares with it, each list written once.
import Synchronization

enum SchedulerStatistics {
    /// Prints `sched: stats ...` (tasks, their stacks, processes, user frames, retired pages).
    /// Keys: docs/kernel-interface.md, "Figure lines".
    static func printLine() {
        Console.record("sched: stats") { l in
            taskFields(l)
            l.field("stacks.cached", KernelStacks.cachedCount)
            processFields(l)
            l.field("retired_pages", KernelMappings.pendingPages)
        }
    }

    /// ` tasks=... dead_awaiting_reap=... stacks=...`: kernel tasks and their stacks.
    static func taskFields(_ l: ConsoleLine) {
        l.field("tasks", Scheduler.liveTasks.load(ordering: .relaxed))
        l.field("dead_awaiting_reap", Scheduler.deadAwaitingReap.load(ordering: .relaxed))
        l.field("stacks", KernelStacks.outstanding.load(ordering: .relaxed))
    }

    /// ` procs.live=... procs.zombies=... user.data_frames=... user.table_frames=...`.
    static func processFields(_ l: ConsoleLine) {
        l.field("procs.live", Processes.live.load(ordering: .relaxed))
        l.field("procs.zombies", Processes.zombies.load(ordering: .relaxed))
        l.field("user.data_frames", UserMemory.dataFrames.load(ordering: .relaxed))
        l.field("user.table_frames", UserMemory.tableFrames.load(ordering: .relaxed))
    }
}
