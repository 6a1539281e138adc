// Processes: one user task each, an address space, and an exit status for whoever waits.
// The rule for ending: a process ends only through `Processes.exitCurrent` — its own exit
// call, a fault, or a kill noticed on its way back to user mode — so a task that exits itself
// and one ended by another take the same path. The reaper (after the switch away) frees the
// stack and the address space, then the process becomes a zombie holding its status.
// A zombie is freed by the `wait` that collects it; one nobody can wait for (its parent has
// ended, or it was started detached) is freed by the reaper at once.
import Hardware
import Synchronization

typealias ProcessPointer = UnsafeMutablePointer<Process>

struct Process: ~Copyable {
    var pid = 0
    /// The parent's pid; 0 is the kernel (its tests wait like a parent).
    var parent = 0
    var name: StaticString = ""
    var space = UserAddressSpace(root: 0)
    var task: TaskPointer? = nil
    var entry: UInt64 = 0
    var stackTop: UInt64 = 0
    var argument: UInt64 = 0
    var exitStatus = 0
    /// Set once the reaper has freed the task and the space: the status may be collected.
    let zombie = Atomic<Bool>(false)
    let killRequested = Atomic<Bool>(false)
    var detached = false
    /// Records (live or zombie) whose parent this is: the reaper looks for them only when
    /// there are any. Precondition for both: `Processes.lock` held.
    var children = 0
    /// Next address `map` hands out.
    var mapCursor = UserMemory.mapBase
    init() {}
}

enum ExitStatus {
    static let killed = 137  // 128 + SIGKILL
    static let segmentationFault = 139
    static let illegalInstruction = 132
    static let arithmetic = 136
}

enum Errno {
    static let noEntry = -2, noProcess = -3, noChild = -10, noMemory = -12, fault = -14
    static let invalid = -22, noSystemCall = -38, badImage = -8
}

enum Processes {
    static let slots = 1024
    static let lock = SpinLock(registrySlot: .processes)
    /// `Kernel.Processes.table`: process records by slot `pid % slots` (0: free). Pids count up
    /// from 1, skipping those whose slot is taken.
    nonisolated(unsafe) static var table: InlineArray<1024, UInt64> = .init(repeating: 0)
    nonisolated(unsafe) static var nextPid = 1
    /// Everyone waiting for some process to become a zombie.
    nonisolated(unsafe) static var exits: WaitQueuePointer? = nil
    static let live = Atomic<Int>(0)
    static let zombies = Atomic<Int>(0)
    static let spawned = Atomic<UInt64>(0)

    static func initialize() {
        exits = WaitQueue.make()
    }

    /// The process with `pid`, if it exists. Precondition: `lock` held.
    static func lookup(_ pid: Int) -> ProcessPointer? {
        guard pid > 0 else { return nil }
        let p = ProcessPointer(bitPattern: UInt(table[pid % slots]))
        return p?.pointee.pid == pid ? p : nil
    }

    static var current: ProcessPointer? {
        CPUs.current.pointee.current?.pointee.process.map { ProcessPointer(bitPattern: UInt(bitPattern: $0))! }
    }

    /// Starts the program `name` with `argument` as a child of `parent`, its task queued on
    /// `cpu`. Returns the pid, or a negative error (`Errno`).
    static func spawn(_ name: UnsafeRawBufferPointer, argument: UInt64, parent: Int, on cpu: Int, detached: Bool = false) -> Int {
        guard let (start, length) = UserImages.find(name) else { return Errno.noEntry }
        let loaded: ProgramLoader.Loaded
        switch ProgramLoader.load(start: start, length: length) {
        case .success(let l): loaded = l
        case .failure(.badImage(let e)):
            Console.line { l in
                l.text("exec: refused: ")
                l.text(e.reason)
            }
            return Errno.badImage
        case .failure(.outOfMemory): return Errno.noMemory
        }
        guard let task = Scheduler.create(userTaskEntry, 0) else {
            loaded.space.destroy()
            return Errno.noMemory
        }
        let p = KernelHeap.allocate(size: MemoryLayout<Process>.stride, alignment: 64).bindMemory(to: Process.self, capacity: 1)
        p.initialize(to: Process())
        p.pointee.parent = parent
        p.pointee.space = loaded.space
        p.pointee.entry = loaded.entry
        p.pointee.stackTop = loaded.stackTop
        p.pointee.argument = argument
        p.pointee.task = task
        p.pointee.detached = detached
        let pid = lock.withLock { () -> Int in
            for _ in 0..<slots {
                let candidate = nextPid
                nextPid = nextPid >= Int(Int32.max) ? 1 : nextPid + 1
                if candidate % slots != 0 && table[candidate % slots] == 0 {
                    p.pointee.pid = candidate  // before `lookup` can see it
                    table[candidate % slots] = UInt64(UInt(bitPattern: p))
                    if let parentRecord = lookup(parent) { parentRecord.pointee.children += 1 }
                    return candidate
                }
            }
            return 0
        }
        if pid == 0 {
            // No slot: undo everything (the task never ran).
            p.deinitialize(count: 1)
            KernelHeap.free(UnsafeMutableRawPointer(p))
            Scheduler.discardUnstarted(task)
            loaded.space.destroy()
            return Errno.noMemory
        }
        task.pointee.process = UnsafeMutableRawPointer(p)
        live.wrappingAdd(1, ordering: .relaxed)
        spawned.wrappingAdd(1, ordering: .relaxed)
        Scheduler.enqueue(task, on: cpu)
        return pid
    }

    static func spawn(_ name: StaticString, argument: UInt64, parent: Int = 0, on cpu: Int) -> Int {
        spawn(
            UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), argument: argument, parent: parent,
            on: cpu)
    }

    /// Ends the calling process with `status`. Its task dies; the reaper does the rest.
    static func exitCurrent(status: Int) -> Never {
        if let p = current { p.pointee.exitStatus = status }
        Scheduler.exitCurrent()
    }

    /// The reaper's part, before the dead task's record is freed: let go of the task, free the
    /// space, become a zombie (or vanish, if nobody can wait), adopt out the children, wake the
    /// waiters. Precondition: interrupts off; runs on another task's stack and address space.
    static func reap(_ raw: UnsafeMutableRawPointer) {
        let p = ProcessPointer(bitPattern: UInt(bitPattern: raw))!
        lock.withLock { p.pointee.task = nil }  // `kill` reads the task under this lock
        p.pointee.space.destroy()
        let freeNow = lock.withLock { () -> Bool in
            // The table is searched only for a process that has children, until all are found.
            var unseen = p.pointee.children
            var s = 1
            while unseen > 0 && s < slots {
                if table[s] != 0 {
                    let child = ProcessPointer(bitPattern: UInt(table[s]))!
                    if child.pointee.parent == p.pointee.pid && child != p {
                        unseen -= 1
                        if child.pointee.zombie.load(ordering: .acquiring) {
                            release(slot: s)
                        } else {
                            child.pointee.detached = true
                        }
                    }
                }
                s += 1
            }
            let orphan = p.pointee.detached || (p.pointee.parent != 0 && lookup(p.pointee.parent) == nil)
            if orphan { release(slot: p.pointee.pid % slots) } else { p.pointee.zombie.store(true, ordering: .releasing) }
            return orphan
        }
        live.wrappingSubtract(1, ordering: .relaxed)
        if !freeNow {
            zombies.wrappingAdd(1, ordering: .relaxed)
            wakeAll(exits!)
        }
    }

    /// Frees a slot's record. Precondition: `lock` held; the process is reaped.
    private static func release(slot s: Int) {
        let p = ProcessPointer(bitPattern: UInt(table[s]))!
        table[s] = 0
        if let parentRecord = lookup(p.pointee.parent) { parentRecord.pointee.children -= 1 }
        if p.pointee.zombie.load(ordering: .relaxed) { zombies.wrappingSubtract(1, ordering: .relaxed) }
        p.deinitialize(count: 1)
        KernelHeap.free(UnsafeMutableRawPointer(p))
    }

    /// Waits for the child `pid` of `parent` to end and returns its status (the record is then
    /// freed), or a negative error. Returns `Errno.invalid`-free early when the waiter is killed.
    static func wait(_ pid: Int, parent: Int) -> Int {
        let ok = lock.withLock { lookup(pid).map { $0.pointee.parent == parent && !$0.pointee.detached } }
        guard let ok else { return Errno.noProcess }
        guard ok else { return Errno.noChild }
        let me = current
        Kernel.wait(on: exits!) {
            if me?.pointee.killRequested.load(ordering: .relaxed) == true { return true }
            return lock.withLock { lookup(pid)?.pointee.zombie.load(ordering: .acquiring) ?? true }
        }
        return lock.withLock { () -> Int in
            guard let p = lookup(pid), p.pointee.zombie.load(ordering: .acquiring) else { return Errno.noChild }
            let status = p.pointee.exitStatus
            release(slot: pid % slots)
            return status
        }
    }

    /// Asks `pid` to end. It notices on its next way back to user mode (an IPI hurries that
    /// along when it runs on another CPU; a sleeping or waiting process is woken).
    static func kill(_ pid: Int) -> Int {
        let cpu = lock.withLock { () -> Int? in
            guard let p = lookup(pid), !p.pointee.zombie.load(ordering: .relaxed) else { return nil }
            p.pointee.killRequested.store(true, ordering: .releasing)
            return p.pointee.task?.pointee.cpu ?? -1
        }
        guard let cpu else { return Errno.noProcess }
        wakeAll(exits!)
        TickWait.wakeEveryone()
        if cpu >= 0 && cpu != CPUs.currentIndex && CPUs.isOnline(cpu) {
            LocalAPIC.sendIPI(to: CPUs.block(cpu).pointee.apicID, vector: Vector.reschedule)
        }
        return 0
    }

    /// Called on every way back to user mode: a requested kill ends the process here.
    static func checkKill() {
        if let p = current, p.pointee.killRequested.load(ordering: .acquiring) {
            exitCurrent(status: ExitStatus.killed)
        }
    }

    /// A fault in user mode ends only that process, with one line saying why.
    static func userFault(_ frame: UnsafeMutablePointer<trap_frame>, reason: StaticString, status: Int) -> Never {
        let f = frame.pointee
        let pid = current?.pointee.pid ?? 0
        Console.line { l in
            l.text("user: pid ")
            l.dec(pid)
            l.text(" killed: ")
            l.text(reason)
            if f.vector == UInt64(ExceptionVector.pageFault) {
                l.text(" address=")
                l.hex(cpu_read_cr2())
            }
            l.text(" rip=")
            l.hex(f.rip)
        }
        exitCurrent(status: status)
    }
}

/// A user task's first kernel code: enter its program (unless killed before it ever ran).
private let userTaskEntry: TaskEntry = { _ in
    guard let p = Processes.current else { panic("user task without a process") }
    Processes.checkKill()
    enter_user_mode(p.pointee.entry, p.pointee.stackTop, p.pointee.argument)
}
