// What the harness learns about one vCPU of a stopped machine, and how it reads in a report.

public struct VCPUReport {
    public var index: Int
    /// QEMU's view: halted (in `hlt`) or running.
    public var halted: Bool?
    public var rip: UInt64 = 0, rsp: UInt64 = 0, rbp: UInt64 = 0, rflags: UInt64 = 0, cr3: UInt64 = 0
    public var frames: [Frame] = []
    /// How the backtrace was unwound (`dwarf-cfi (.eh_frame)`, `frame-pointer`), empty if not walked.
    public var unwoundBy = ""
    /// How the walk ended: `end of stack (...)` or `stopped: <the check that failed>`.
    public var walkEnded = ""
    /// CPL 3 (CS & 3 == 3): the vCPU runs user code; its stack is not walked as kernel frames.
    public var inUserMode = false
    /// Why registers could not be read, if they could not.
    public var failure: String?

    public init(index: Int) { self.index = index }

    public var interruptsEnabled: Bool { rflags & 0x200 != 0 }
    /// Idling in `hlt` with interrupts on: waiting for work, not part of a freeze.
    public var isIdle: Bool { failure == nil && halted == true && interruptsEnabled }
    /// The function it was in (the top frame's symbol without its offset), if known.
    public var function: String? {
        guard let location = frames.first?.location else { return nil }
        return location.range(of: "+0x", options: .backwards).map { String(location[..<$0.lowerBound]) } ?? location
    }
    public var symbolizedFrameCount: Int { frames.filter { $0.location != nil }.count }

    /// `CPU2 running, IF=0, in haltWithInterruptsOff()+0x12 <- CrossCall.interrupt()+0x40 <- ...`,
    /// or `CPU1 running, IF=1, user: rip=0x401a2c rsp=0x7fffffffee8` for a vCPU in user mode.
    public func summary(frames shown: Int = 3) -> String {
        if let failure { return "CPU\(index): \(failure)" }
        let state = halted.map { $0 ? "halted" : "running" } ?? "state unknown"
        if inUserMode {
            return "CPU\(index) \(state), IF=\(interruptsEnabled ? 1 : 0), user: rip=0x\(hex(rip)) rsp=0x\(hex(rsp))"
        }
        let names = frames.prefix(shown).map { $0.location ?? "0x" + hex($0.address) }
        let chain = names.isEmpty ? "0x" + hex(rip) : names.joined(separator: " <- ")
        return "CPU\(index) \(state), IF=\(interruptsEnabled ? 1 : 0), in \(chain)"
    }

    public var fullText: [String] {
        var lines = [summary(frames: 1)]
        if failure != nil { return lines }
        lines.append(
            "  rip=0x\(hex(rip)) rsp=0x\(hex(rsp)) rbp=0x\(hex(rbp)) rflags=0x\(hex(rflags)) (interrupts \(interruptsEnabled ? "on" : "off")) cr3=0x\(hex(cr3))"
        )
        for (number, frame) in frames.enumerated() {
            lines.append("  #\(number) 0x\(hex(frame.address)) \(frame.location ?? "?")")
        }
        if inUserMode {
            lines.append("  (user mode, CPL 3: the stack is the process's, not walked as kernel frames)")
        } else if !walkEnded.isEmpty {
            let method = unwoundBy.isEmpty ? "" : "unwound by: \(unwoundBy); "
            lines.append("  (backtrace \(method)\(walkEnded))")
        }
        return lines
    }
}
