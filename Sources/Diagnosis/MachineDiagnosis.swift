// A stopped machine explained: every vCPU's state, registers and backtrace through the
// gdbstub, then the kernel's own counters read by symbol. Precondition: the target is stopped
// (QEMU stops it when the debugger connects; `interrupt()` otherwise).
import GDBRemote
import KernelSymbols

public struct MachineDiagnosis {
    public var vcpus: [VCPUReport] = []
    /// `name = value` lines of kernel state, in the order read.
    public var kernelState: [String] = []
    /// Per-CPU lines from the kernel's PerCPU blocks.
    public var perCPU: [String] = []
    public var problems: [String] = []
    public var source = "gdbstub"
    /// Kernel locks held when the machine stopped: "heap by CPU2 at Scheduler.schedule()+0x42".
    public var locksHeld: [String] = []

    public init() {}

    /// vCPUs that were busy at the first look but idle in `hlt` at the second (a timer tick's
    /// entry, caught by the stop): not part of the freeze.
    public var passingThrough: Set<Int> = []
    /// The second look's lines for the full report.
    public var secondLook: [String] = []
    /// For a vCPU busy at both looks but elsewhere the second time (the first caught it in an
    /// interrupt handler, say), what the second look saw, for the summary.
    public var movedTo: [Int: String] = [:]
    /// vCPUs running at the first look and halted with interrupts off at the second: stopped
    /// for good (a panic's last instructions after its last line, say). The summary shows
    /// where they stopped, and where the first look caught them.
    public var settled: [Int: (report: VCPUReport, note: String)] = [:]

    /// One line for the JUnit failure: every vCPU that is not idling in `hlt` with interrupts
    /// on first (those are the interesting ones), the idle ones counted.
    public var summary: String {
        let busy = vcpus.filter { !$0.isIdle && !passingThrough.contains($0.index) }
        let idle = vcpus.count - busy.count
        var parts = busy.map { vcpu in
            if let (report, note) = settled[vcpu.index] { return report.summary() + " (\(note))" }
            return vcpu.summary() + (movedTo[vcpu.index].map { " (\($0))" } ?? "")
        }
        if idle > 0 { parts.append("\(idle) other CPU\(idle == 1 ? "" : "s") idle in hlt") }
        if !locksHeld.isEmpty { parts.append("holding: " + locksHeld.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }

    public var fullText: String {
        var lines = ["diagnosis (\(source)): \(vcpus.count) vCPUs"]
        for vcpu in vcpus { lines += vcpu.fullText }
        if !secondLook.isEmpty {
            lines.append("second look:")
            lines += secondLook.map { "  " + $0 }
        }
        if !perCPU.isEmpty {
            lines.append("per-CPU blocks (Kernel.CPUs.blocks):")
            lines += perCPU.map { "  " + $0 }
        }
        if !kernelState.isEmpty {
            lines.append("kernel state:")
            lines += kernelState.map { "  " + $0 }
        }
        if !problems.isEmpty {
            lines.append("not read:")
            lines += problems.map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Takes in a second look at the machine, a moment after the first: a vCPU busy then and idle
    /// now was passing through (an interrupt's entry, say) and is counted with the idle ones; one
    /// running then and halted with interrupts off now has settled where it stopped; one busy
    /// both times is where the freeze is.
    public mutating func compare(withSecondLook later: MachineDiagnosis, after seconds: Double) {
        for vcpu in vcpus where !vcpu.isIdle && vcpu.failure == nil {
            guard let again = later.vcpus.first(where: { $0.index == vcpu.index }) else { continue }
            let ms = Int(seconds * 1000)
            if again.isIdle {
                passingThrough.insert(vcpu.index)
            } else if vcpu.halted == false && again.halted == true && !again.interruptsEnabled {
                settled[vcpu.index] = (again, "\(ms) ms earlier: running, in \(vcpu.function ?? "0x" + hex(vcpu.rip))")
            } else if again.function != vcpu.function {
                let state = again.summary().dropFirst("CPU\(vcpu.index) ".count)
                movedTo[vcpu.index] = "\(Int(seconds * 1000)) ms later: \(state)"
            }
            let verdict = again.isIdle ? ": it was passing through" : settled[vcpu.index] != nil ? ": stopped there" : ""
            secondLook.append("\(again.summary(frames: 2)) (\(ms) ms later\(verdict))")
        }
    }

    /// Collects everything over `client`. `symbols` nil leaves addresses unsymbolized and the
    /// kernel state unread.
    /// `kernelState: false` reads the vCPUs only (a second look).
    public static func collect(client: GDBClient, symbols: SymbolMap?, kernelState: Bool = true) -> MachineDiagnosis {
        var diagnosis = MachineDiagnosis()
        let threads: [GDBThreadID]
        do { threads = try client.threads() } catch {
            diagnosis.problems.append("thread list: \(error)")
            return diagnosis
        }
        let describe: (UInt64) -> String? = { address in
            guard let symbols, let symbol = symbols.symbol(containing: address) else { return nil }
            _ = symbol
            return symbols.describe(address)
        }
        for thread in threads {
            var vcpu = VCPUReport(index: thread.cpuIndex)
            do {
                let info = try client.extraInfo(thread)
                vcpu.halted = info.contains("halted") ? true : info.contains("running") ? false : nil
                try client.select(thread)
                let registers = try client.registers()
                vcpu.rip = registers.rip
                vcpu.rsp = registers.rsp
                vcpu.rbp = registers.rbp
                vcpu.rflags = UInt64(registers.eflags)
                vcpu.cr3 = registers.cr3
                let walk = FrameWalker.walk(
                    rip: registers.rip, rbp: registers.rbp,
                    read: { address in
                        let bytes = try client.readMemory(address, count: 16)
                        let words = (0..<2).map { word in
                            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[word * 8 + $1]) << (8 * UInt64($1)) }
                        }
                        return (words[0], words[1])
                    }, symbolize: describe)
                vcpu.frames = walk.frames
                vcpu.walkEnded = walk.stoppedBecause
            } catch {
                vcpu.failure = "\(error)"
            }
            diagnosis.vcpus.append(vcpu)
        }
        if let symbols, kernelState {
            diagnosis.readKernelState(KernelVariables(symbols: symbols, client: client))
            diagnosis.readFlatCPUState(KernelVariables(symbols: symbols, client: client), symbols: symbols)
        }
        return diagnosis
    }

    /// Flat globals first (each read on its own, so one missing symbol costs only its line),
    /// then the per-CPU blocks' leading fields, whose offsets follow kernel/smp/PerCPU.swift.
    private mutating func readKernelState(_ variables: KernelVariables) {
        if let selected = vcpus.first(where: { $0.failure == nil }) {
            try? variables.client.select(GDBThreadID(thread: selected.index + 1))
        }
        let scalars = [
            "Kernel.CPUs.count", "Kernel.CPUs.onlineMask", "Kernel.Scheduler.liveTasks",
            "Kernel.Scheduler.deadAwaitingReap", "Kernel.KernelStacks.outstanding",
            "Kernel.Processes.live", "Kernel.Processes.zombies",
        ]
        for name in scalars {
            do {
                let value = try variables.words(name).first ?? 0
                kernelState.append(
                    name == "Kernel.CPUs.onlineMask" ? "\(name) = 0x\(hex(value))" : "\(name) = \(Int64(bitPattern: value))")
            } catch { problems.append("\(name): \(error)") }
        }
        do {
            let counters = try variables.words("Kernel.memoryCounters")
            let names = ["heap.bytes", "heap.blocks", "heap.peak", "heap.mapped", "alloc.failed", "free.bad"]
            let pairs = zip(names, counters).map { "\($0)=\($1)" }
            kernelState.append("Kernel.memoryCounters: " + pairs.joined(separator: " "))
        } catch { problems.append("Kernel.memoryCounters: \(error)") }
        do {
            let blocks = try variables.words("Kernel.CPUs.blocks")
            for (index, block) in blocks.enumerated() where block != 0 {
                // selfAddress, index, apicID (+pad), current, previous, idleTask, preemptDisabled
                let fields = try variables.words(at: block, count: 7)
                guard fields[0] == block else {
                    perCPU.append(
                        "CPU\(index) block 0x\(hex(block)): selfAddress 0x\(hex(fields[0])) does not match; layout changed?")
                    continue
                }
                let task = fields[3]
                let idle = fields[5]
                let running = task == 0 ? "none" : task == idle ? "idle task" : "task 0x\(hex(task))"
                perCPU.append("CPU\(fields[1]) apic=\(fields[2] & 0xffff_ffff) current=\(running) preemptDisabled=\(fields[6])")
            }
        } catch { problems.append("Kernel.CPUs.blocks: \(error)") }
    }

    /// The kernel's flat mirrors (kernel/smp/PerCPU.swift, kernel/sync/SpinLock.swift): each
    /// CPU's tick count and run-queue length, and who holds each named lock and where.
    private mutating func readFlatCPUState(_ variables: KernelVariables, symbols: SymbolMap) {
        do {
            let beats = try variables.words("Kernel.cpuHeartbeats")
            let queues = try variables.words("Kernel.cpuQueueLengths")
            // Every discovered CPU, zeros included: a CPU that never ticked is the news.
            let count = Int((try? variables.words("Kernel.CPUs.count").first) ?? UInt64(beats.count))
            let line = zip(beats, queues).enumerated().prefix(min(count, beats.count))
                .map { "CPU\($0.offset) beats=\($0.element.0) queue=\($0.element.1)" }
            if !line.isEmpty { kernelState.append("Kernel.cpuHeartbeats/cpuQueueLengths: " + line.joined(separator: " ")) }
        } catch { problems.append("Kernel.cpuHeartbeats: \(error)") }
        do {
            let holders = try variables.words("Kernel.lockHolders")
            let names = ["console", "heap", "page tables", "frames", "processes", "kernel stacks"]
            for (slot, word) in holders.enumerated() where word != 0 && slot < names.count {
                let cpu = Int(word >> 48) - 1
                let address = word & 0xFFFF_FFFF_FFFF
                let held = "\(names[slot]) by CPU\(cpu) at \(symbols.describe(address &- 1))"
                locksHeld.append(held)
                kernelState.append("lock held: " + held)
            }
        } catch { problems.append("Kernel.lockHolders: \(error)") }
    }
}
