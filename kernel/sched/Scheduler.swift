// Per-CPU preemptive scheduling: each CPU runs tasks from its own queue, an idle CPU steals from
// the longest queue, and one exit path ends every task: `exitCurrent` marks it dead and switches
// away; `finishSwitch`, running on the next task's stack, reaps it (stack, FPU area, record).
import Hardware
import Synchronization

enum Scheduler {
    /// `Kernel.Scheduler.liveTasks`: created and not yet reaped (idle and boot tasks included).
    static let liveTasks = Atomic<Int>(0)
    /// Dead but not yet reaped: non-zero only between a task's last switch and the reaper.
    static let deadAwaitingReap = Atomic<Int>(0)
    static let reaped = Atomic<UInt64>(0)
    static let nextID = Atomic<Int>(1)

    // MARK: creating tasks

    private static func makeRecord() -> TaskPointer {
        let t = KernelHeap.allocate(size: MemoryLayout<Task>.stride, alignment: 64).bindMemory(to: Task.self, capacity: 1)
        t.initialize(to: Task())
        t.pointee.id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        t.pointee.fxArea = KernelHeap.allocate(size: 512, alignment: 64)
        liveTasks.wrappingAdd(1, ordering: .relaxed)
        return t
    }

    /// A task that will start in `entry(argument)` on its own kernel stack, not yet queued.
    /// Nil when no stack or memory is left.
    static func create(_ entry: TaskEntry, _ argument: UInt64) -> TaskPointer? {
        guard let stack = KernelStacks.allocate() else { return nil }
        let t = makeRecord()
        t.pointee.stackSlot = stack.slot
        t.pointee.stackTop = stack.top
        t.pointee.entry = entry
        t.pointee.argument = argument
        // What context_switch pops: r15, r14, r13 (argument), r12 (entry), rbx, rbp, then the
        // return into task_entry; one zero word above keeps the frame chain terminated.
        let words = UnsafeMutablePointer<UInt64>(bitPattern: UInt(stack.top - 8 * 8))!
        words[0] = 0
        words[1] = 0
        words[2] = argument
        words[3] = UInt64(UInt(bitPattern: unsafeBitCast(entry, to: UnsafeRawPointer.self)))
        words[4] = 0
        words[5] = 0
        words[6] = task_entry_address()
        words[7] = 0
        t.pointee.savedRSP = stack.top - 8 * 8
        return t
    }

    /// Creates a task and queues it on `cpu`; false when no stack or memory is left. No pointer
    /// to the task comes back: once queued it may run, exit and be reaped before this returns.
    @discardableResult
    static func spawn(_ entry: TaskEntry, _ argument: UInt64, on cpu: Int, pinned: Bool = false) -> Bool {
        guard let t = create(entry, argument) else { return false }
        t.pointee.pinned = pinned
        enqueue(t, on: cpu)
        return true
    }

    /// Makes the calling context a task of its own (the boot CPU's main flow, an AP's idle loop).
    static func adoptCurrentContext(cpu: CPUPointer, idle: Bool, stackSlot: Int) -> TaskPointer {
        let t = makeRecord()
        t.pointee.isIdle = idle
        t.pointee.stackSlot = stackSlot
        t.pointee.cpu = cpu.pointee.index
        t.pointee.set(.running)
        t.pointee.onCPU.store(true, ordering: .relaxed)
        cpu.pointee.current = t
        if idle { cpu.pointee.idleTask = t }
        return t
    }

    // MARK: queues

    /// Queues a ready task on `cpu` and wakes a CPU that can run it. The task is not touched
    /// once it is in the queue: it may run, exit and be reaped (its record freed) at once, on
    /// another CPU or, after a tick, on this one (so `pinned` is read before queueing).
    static func enqueue(_ t: TaskPointer, on cpu: Int) {
        let target = CPUs.isOnline(cpu) ? cpu : 0
        let block = CPUs.block(target)
        let pinned = t.pointee.pinned
        t.pointee.cpu = target
        block.pointee.runQueue.modify { $0.pushBack(t) }
        let me = CPUs.currentIndex
        if target != me && block.pointee.isIdle.load(ordering: .relaxed) {
            LocalAPIC.sendIPI(to: block.pointee.apicID, vector: Vector.reschedule)
        } else if !pinned {
            // Work arrived on a busy CPU: wake one idle CPU so it can steal it.
            for c in 0..<CPUs.count where c != me && c != target && CPUs.isOnline(c) {
                let other = CPUs.block(c)
                if other.pointee.isIdle.load(ordering: .relaxed) {
                    LocalAPIC.sendIPI(to: other.pointee.apicID, vector: Vector.reschedule)
                    break
                }
            }
        }
    }

    /// Takes a task from the longest other queue, if one holds enough. Precondition: interrupts off.
    private static func steal(into me: CPUPointer) -> TaskPointer? {
        guard
            let victim = StealPolicy.victim(
                cpus: CPUs.count, me: me.pointee.index, minimumLength: Parameters.stealMinimumQueueLength,
                isOnline: { CPUs.isOnline($0) }, length: { CPUs.block($0).pointee.runQueue.length.load(ordering: .relaxed) })
        else { return nil }
        let v = CPUs.block(victim)
        let t = v.pointee.runQueue.modifyInterruptsOff { tasks in
            tasks.remove { !$0.pointee.pinned && !$0.pointee.onCPU.load(ordering: .acquiring) }
        }
        if let t {
            me.pointee.steals.wrappingAdd(1, ordering: .relaxed)
            me.pointee.migrations.wrappingAdd(1, ordering: .relaxed)
            t.pointee.cpu = me.pointee.index
        }
        return t
    }

    // MARK: switching

    /// Picks the next task for this CPU and switches to it. Precondition: interrupts off.
    static func schedule() {
        let cpu = CPUs.current
        let prev = cpu.pointee.current!
        var next = cpu.pointee.runQueue.modifyInterruptsOff { tasks in
            if prev.pointee.currentState == .running && !prev.pointee.isIdle {
                prev.pointee.set(.ready)
                tasks.pushBack(prev)
            }
            return tasks.popFront()
        }
        if next == nil { next = steal(into: cpu) }
        let chosen = next ?? cpu.pointee.idleTask!
        if chosen == prev {
            prev.pointee.set(.running)
            return
        }
        // It may still be leaving another CPU (woken or requeued there a moment ago).
        while chosen.pointee.onCPU.load(ordering: .acquiring) { cpu_pause() }
        chosen.pointee.onCPU.store(true, ordering: .relaxed)
        chosen.pointee.set(.running)
        chosen.pointee.cpu = cpu.pointee.index
        cpu.pointee.previous = prev
        cpu.pointee.current = chosen
        cpu.pointee.switches.wrappingAdd(1, ordering: .relaxed)
        cpu.pointee.isIdle.store(chosen.pointee.isIdle, ordering: .relaxed)
        GDT.setKernelStack(cpu: cpu.pointee.index, top: chosen.pointee.stackTop)
        // A user task runs in its process's space; kernel threads in the kernel's.
        let root =
            chosen.pointee.process.map { ProcessPointer(bitPattern: UInt(bitPattern: $0))!.pointee.space.root }
            ?? PageTables.kernelRoot
        if cpu_read_cr3() & PageTables.addressMask != root { cpu_write_cr3(root) }
        cpu_fxsave(prev.pointee.fxArea)
        context_switch(&prev.pointee.savedRSP, chosen.pointee.savedRSP)
        // Running as `prev` again, possibly on another CPU.
        cpu_fxrstor(prev.pointee.fxArea)
        finishSwitch()
    }

    /// Runs right after every switch, on the new task's stack: releases the task switched away
    /// from, and reaps it if it was dead. Precondition: interrupts off.
    static func finishSwitch() {
        let cpu = CPUs.current
        guard let prev = cpu.pointee.previous else { return }
        cpu.pointee.previous = nil
        if prev.pointee.currentState == .dead {
            reap(prev)
        } else {
            prev.pointee.onCPU.store(false, ordering: .releasing)
        }
    }

    /// Frees everything a dead task held, and its process's space. Precondition: it is off
    /// every CPU, and this CPU no longer uses its address space.
    private static func reap(_ t: TaskPointer) {
        // The process first: until it lets go of the task (under its lock), `kill` on another
        // CPU may still read the task's record.
        if let process = t.pointee.process { Processes.reap(process) }
        release(t)
        deadAwaitingReap.wrappingSubtract(1, ordering: .relaxed)
        reaped.wrappingAdd(1, ordering: .relaxed)
    }

    private static func release(_ t: TaskPointer) {
        if t.pointee.stackSlot >= 0 { KernelStacks.free(slot: t.pointee.stackSlot) }
        if let fx = t.pointee.fxArea { KernelHeap.free(fx) }
        t.deinitialize(count: 1)
        KernelHeap.free(UnsafeMutableRawPointer(t))
        liveTasks.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Frees a task that was created but never queued.
    static func discardUnstarted(_ t: TaskPointer) { release(t) }

    /// Ends the calling task. Its stack and record are freed after the switch away.
    static func exitCurrent() -> Never {
        cpu_cli()
        let me = CPUs.current.pointee.current!
        deadAwaitingReap.wrappingAdd(1, ordering: .relaxed)
        me.pointee.set(.dead)
        schedule()
        panic("a dead task was scheduled again")
    }

    /// Gives the CPU to another ready task, if any.
    static func yield() {
        let flags = cpu_rflags()
        cpu_cli()
        schedule()
        cpu_restore_rflags(flags)
    }

    /// A CPU with nothing to do: sleep until an interrupt brings work, steal when possible.
    static func idleLoop() -> Never {
        let cpu = CPUs.current
        while true {
            cpu_sti()
            KernelMappings.flushIfWorthIt()
            cpu_cli()
            // Idle is announced before the queues are checked, so work queued after the check
            // comes with a reschedule IPI that ends the hlt below.
            cpu.pointee.isIdle.store(true, ordering: .relaxed)
            schedule()
            if cpu.pointee.runQueue.length.load(ordering: .relaxed) == 0 {
                cpu_sti_hlt()
                cpu.pointee.idleTicks.wrappingAdd(1, ordering: .relaxed)
            }
        }
    }
}

/// A new task's first Swift code (from task_entry in switch.S).
@_cdecl("task_start")
func taskStart(_ entry: UInt64, _ argument: UInt64) -> Never {
    Scheduler.finishSwitch()
    cpu_fpu_reset()
    cpu_sti()
    let function = unsafeBitCast(UnsafeRawPointer(bitPattern: UInt(entry))!, to: TaskEntry.self)
    function(argument)
    Scheduler.exitCurrent()
}

private let idleEntry: TaskEntry = { _ in Scheduler.idleLoop() }

extension Scheduler {
    /// The boot CPU: its running context becomes the main task, and it gets an idle task.
    static func initializeBootCPU() {
        let cpu = CPUs.current
        _ = adoptCurrentContext(cpu: cpu, idle: false, stackSlot: -1)
        guard let idle = create(idleEntry, 0) else { panic("no memory for the idle task") }
        idle.pointee.isIdle = true
        idle.pointee.pinned = true
        idle.pointee.cpu = 0
        cpu.pointee.idleTask = idle
    }
}
