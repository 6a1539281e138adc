// Each CPU's private block, reached through GS (its first word points at itself). Other CPUs
// read only the atomic fields (run-queue length, heartbeat, counters) and take the run queue's
// lock for anything else.
import Hardware
import Synchronization

typealias CPUPointer = UnsafeMutablePointer<PerCPU>

struct PerCPU: ~Copyable {
    /// GS:0, so `PerCPU.current` is one load.
    var selfAddress: UInt64 = 0
    var index = 0
    var apicID: UInt32 = 0
    /// The task running here, and the one it switched from (until `finishSwitch` runs).
    var current: TaskPointer? = nil
    var previous: TaskPointer? = nil
    var idleTask: TaskPointer? = nil
    /// Non-zero while this CPU must not switch tasks (it spins with interrupts on).
    var preemptDisabled = 0

    var runQueue = RunQueue()

    /// Counters, read by other CPUs, by the heartbeat line and by a debugger.
    let heartbeat = Atomic<UInt64>(0)
    let switches = Atomic<UInt64>(0)
    let steals = Atomic<UInt64>(0)
    let migrations = Atomic<UInt64>(0)
    let idleTicks = Atomic<UInt64>(0)
    let isIdle = Atomic<Bool>(false)

    /// Soft-lockup watch over the next CPU in the ring: its last heartbeat and when it changed.
    var watchedHeartbeat: UInt64 = 0
    var watchedSinceMillisecond: UInt64 = 0
    var lockupReported = false

    init() {}
}

/// `Kernel.cpuHeartbeats` and `Kernel.cpuQueueLengths`: each CPU's tick count and run-queue
/// length, mirrored flat (index = CPU) for a debugger reading a frozen machine.
nonisolated(unsafe) var cpuHeartbeats: PerCPUTable<UInt64> = .init(repeating: 0)
nonisolated(unsafe) var cpuQueueLengths: PerCPUTable<UInt64> = .init(repeating: 0)

enum CPUs {
    /// Per-CPU blocks, by index. Filled by `prepare`; `Kernel.CPUs.blocks` for a debugger.
    nonisolated(unsafe) static var blocks: PerCPUTable<UInt64> = .init(repeating: 0)
    /// CPUs that have checked in. Bit i is CPU i.
    static let onlineMask = Atomic<UInt64>(0)
    nonisolated(unsafe) static var count = 1

    static func block(_ index: Int) -> CPUPointer { CPUPointer(bitPattern: UInt(blocks[index]))! }

    /// The calling CPU's block. Precondition: `install` ran on this CPU.
    @inline(__always)
    static var current: CPUPointer { CPUPointer(bitPattern: UInt(cpu_percpu_block()))! }

    static var currentIndex: Int { blocks[0] == 0 ? 0 : current.pointee.index }

    static var onlineCount: Int { onlineMask.load(ordering: .relaxed).nonzeroBitCount }

    static func isOnline(_ index: Int) -> Bool { onlineMask.load(ordering: .acquiring) & (1 << UInt64(index)) != 0 }

    /// The index of the `(n mod onlineCount)`-th online CPU: round-robin placement over the CPUs
    /// that are up, whatever their indices.
    static func online(roundRobin n: Int) -> Int {
        var cpu = -1
        for _ in 0...(n % onlineCount) {
            cpu += 1
            while !isOnline(cpu) { cpu += 1 }
        }
        return cpu
    }

    /// Allocates and initialises CPU `index`'s block (boot CPU, before it starts the AP).
    static func prepare(index: Int, apicID: UInt32) {
        let block = KernelHeap.allocate(size: MemoryLayout<PerCPU>.stride, alignment: 64).bindMemory(to: PerCPU.self, capacity: 1)
        block.initialize(to: PerCPU())
        block.pointee.selfAddress = UInt64(UInt(bitPattern: block))
        block.pointee.index = index
        block.pointee.apicID = apicID
        block.pointee.runQueue.cpu = index
        blocks[index] = UInt64(UInt(bitPattern: block))
    }

    /// Points GS at CPU `index`'s block. Runs on that CPU.
    static func install(index: Int) {
        cpu_wrmsr(0xC000_0101, blocks[index])  // GS base
        cpu_wrmsr(0xC000_0102, 0)  // kernel GS base (swapped in from user mode)
    }

    static func markOnline(_ index: Int) {
        onlineMask.bitwiseOr(1 << UInt64(index), ordering: .releasing)
    }
}
