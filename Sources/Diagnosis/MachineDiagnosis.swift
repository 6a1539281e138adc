// A stopped machine explained: every vCPU's state, registers and backtrace through the
// gdbstub, then the kernel's own counters read by symbol. Precondition: the target is stopped
// (QEMU stops it when the debugger connects; `interrupt()` otherwise).
import DWARFUnwind
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

    /// Collects everything over `client`. `symbols` nil leaves addresses unsymbolized, return
    /// addresses unchecked and the kernel state unread; `unwindTable` (UnwindTableChoice) walks
    /// by CFI, nil by frame pointers; `variables` are the kernel globals to read (the profile's
    /// `contract.diagnosis-variables`: none for a kernel whose profile names none).
    /// `kernelState: false` reads the vCPUs only (a second look).
    public static func collect(
        client: GDBClient, symbols: SymbolMap?, unwindTable: CallFrameTable? = nil, variables: [String] = [],
        kernelState: Bool = true
    ) -> MachineDiagnosis {
        var diagnosis = MachineDiagnosis()
        let threads: [GDBThreadID]
        do { threads = try client.threads() } catch {
            diagnosis.problems.append("thread list: \(error)")
            return diagnosis
        }
        let access = StackAccess(
            readWord: { address in
                let bytes = try client.readMemory(address, count: 8)
                guard bytes.count >= 8 else { throw GDBError.malformedReply(request: "m", reply: "") }
                return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
            },
            symbolize: { address in
                guard let symbols, symbols.symbol(containing: address) != nil else { return nil }
                return symbols.describe(address)
            },
            // Without symbols nothing says what is code: return addresses go unchecked.
            isText: { address in symbols?.isText(address) ?? true },
            functionStart: { address in symbols?.symbol(containing: address).flatMap { $0.isFunction ? $0.address : nil } })
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
                // CS's requested privilege level is the CPL: 3 is user mode, whose stack and
                // code are the process's, not the kernel's.
                vcpu.inUserMode = registers.selectors.first.map { $0 & 3 == 3 } ?? false
                if !vcpu.inUserMode {
                    let trace = FrameWalker.walk(
                        rip: registers.rip, general: registers.general, table: unwindTable, access: access)
                    vcpu.frames = trace.frames
                    vcpu.unwoundBy = trace.method.description
                    vcpu.walkEnded = trace.ending + (symbols == nil ? " (no symbols: return addresses unchecked)" : "")
                }
            } catch {
                vcpu.failure = "\(error)"
            }
            diagnosis.vcpus.append(vcpu)
        }
        if let symbols, kernelState, !variables.isEmpty {
            diagnosis.readKernelState(KernelVariables(symbols: symbols, client: client), names: variables)
        }
        return diagnosis
    }

    /// Each listed global on its own (one missing symbol costs only its line). Our kernel's
    /// structured globals are decoded by the layouts below; any other is printed as its words.
    private mutating func readKernelState(_ variables: KernelVariables, names: [String]) {
        if let selected = vcpus.first(where: { $0.failure == nil }) {
            try? variables.client.select(GDBThreadID(thread: selected.index + 1))
        }
        for name in names {
            do {
                switch name {
                case "Kernel.memoryCounters": try readMemoryCounters(variables)
                case "Kernel.CPUs.blocks": try readPerCPUBlocks(variables)
                case "Kernel.cpuHeartbeats": try readHeartbeats(variables)
                case "Kernel.lockHolders": try readLockHolders(variables)
                default:
                    let words = try variables.words(name)
                    let value = words.first ?? 0
                    if words.count > 1 {
                        kernelState.append("\(name) = [" + words.map { String($0) }.joined(separator: ", ") + "]")
                    } else if name.hasSuffix("Mask") {
                        kernelState.append("\(name) = 0x\(hex(value))")
                    } else {
                        kernelState.append("\(name) = \(Int64(bitPattern: value))")
                    }
                }
            } catch { problems.append("\(name): \(error)") }
        }
    }

    /// Our kernel's memory counters (kernel/mem: heap and allocation figures, in this order).
    private mutating func readMemoryCounters(_ variables: KernelVariables) throws {
        let counters = try variables.words("Kernel.memoryCounters")
        let names = ["heap.bytes", "heap.blocks", "heap.peak", "heap.mapped", "alloc.failed", "free.bad"]
        let pairs = zip(names, counters).map { "\($0)=\($1)" }
        kernelState.append("Kernel.memoryCounters: " + pairs.joined(separator: " "))
    }

    /// The per-CPU blocks' leading fields, whose offsets follow kernel/smp/PerCPU.swift.
    private mutating func readPerCPUBlocks(_ variables: KernelVariables) throws {
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
    }

    /// The kernel's flat mirrors (kernel/smp/PerCPU.swift): each CPU's tick count and run-queue length.
    private mutating func readHeartbeats(_ variables: KernelVariables) throws {
        let beats = try variables.words("Kernel.cpuHeartbeats")
        let queues = try variables.words("Kernel.cpuQueueLengths")
        // Every discovered CPU, zeros included: a CPU that never ticked is the news.
        let count = Int((try? variables.words("Kernel.CPUs.count").first) ?? UInt64(beats.count))
        let line = zip(beats, queues).enumerated().prefix(min(count, beats.count))
            .map { "CPU\($0.offset) beats=\($0.element.0) queue=\($0.element.1)" }
        if !line.isEmpty { kernelState.append("Kernel.cpuHeartbeats/cpuQueueLengths: " + line.joined(separator: " ")) }
    }

    /// Who holds each named lock and where (kernel/sync/SpinLock.swift).
    private mutating func readLockHolders(_ variables: KernelVariables) throws {
        let holders = try variables.words("Kernel.lockHolders")
        let names = ["console", "heap", "page tables", "frames", "processes", "kernel stacks"]
        for (slot, word) in holders.enumerated() where word != 0 && slot < names.count {
            let cpu = Int(word >> 48) - 1
            let address = word & 0xFFFF_FFFF_FFFF
            let held = "\(names[slot]) by CPU\(cpu) at \(variables.symbols.describe(address &- 1))"
            locksHeld.append(held)
            kernelState.append("lock held: " + held)
        }
    }
}
