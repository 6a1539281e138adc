// "The memory lines" of docs/kernel-interface.md: each subsystem's record, in the documented
// order, for the places that print them together (boot, shell, storms, panic, a failed
// allocation). Each record is written by the subsystem that owns its figures.

enum StatisticsLines {
    /// `mm: stats`, `sched: stats`, `mm: classes`; nothing before the heap exists.
    static func print() {
        guard KernelHeap.core != nil else { return }
        MemoryStatistics.printStatsLine()
        SchedulerStatistics.printLine()
        MemoryStatistics.printClassesLine()
    }
}
