// The fallback when the gdbstub cannot be reached: QMP's `human-monitor-command` with
// `info registers` per vCPU. Only registers, no memory, so no backtrace.

public enum MonitorRegisters {
    /// Parses QEMU's `info registers` text (`RIP=... RFL=... HLT=...`, `CR3=...`).
    public static func parse(_ text: String, index: Int) -> VCPUReport {
        var vcpu = VCPUReport(index: index)
        func value(_ key: String) -> UInt64? {
            guard let range = text.range(of: key + "=") else { return nil }
            let digits = text[range.upperBound...].prefix(while: { $0.isHexDigit })
            return UInt64(digits, radix: 16)
        }
        guard let rip = value("RIP") else {
            vcpu.failure = "no RIP in info registers"
            return vcpu
        }
        vcpu.rip = rip
        vcpu.rsp = value("RSP") ?? 0
        vcpu.rbp = value("RBP") ?? 0
        vcpu.rflags = value("RFL") ?? 0
        vcpu.cr3 = value("CR3") ?? 0
        vcpu.halted = value("HLT").map { $0 != 0 }
        vcpu.inUserMode = value("CPL") == 3
        return vcpu
    }
}
