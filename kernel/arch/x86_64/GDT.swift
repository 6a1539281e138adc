// Per-CPU GDT and TSS. The TSS holds the interrupt stacks (IST) that #DF, NMI and #MC switch to,
// so a fault on a broken stack still reaches the panic path.
import Hardware

enum Selector {
    static let kernelCode: UInt16 = 0x08
    static let kernelData: UInt16 = 0x10
    static let userData: UInt16 = 0x18  // user segments in SYSRET order: data, then code
    static let userCode: UInt16 = 0x20
    static let tss: UInt16 = 0x28
}

/// Interrupt stack numbers (1-based as in the TSS).
enum InterruptStack {
    static let doubleFault: UInt8 = 1
    static let nmi: UInt8 = 2
    static let machineCheck: UInt8 = 3
    static let count = 3
}

enum GDT {
    /// One CPU's GDT: null, kernel code and data, user data and code, the TSS (two entries).
    typealias Entries = InlineArray<7, UInt64>
    /// One CPU's TSS: 104 bytes.
    typealias TaskState = InlineArray<13, UInt64>
    static let entriesPerCPU = Entries.count
    static let tssWords = TaskState.count
    nonisolated(unsafe) static var tables: PerCPUTable<Entries> = .init(repeating: .init(repeating: 0))
    nonisolated(unsafe) static var taskStates: PerCPUTable<TaskState> = .init(repeating: .init(repeating: 0))

    /// Builds and loads CPU `cpu`'s GDT and TSS. `istTops` are the tops of its three IST stacks.
    static func load(cpu: Int, istTops: (UInt64, UInt64, UInt64)) {
        let tss = withUnsafeMutablePointer(to: &taskStates) {
            UnsafeMutableRawPointer($0).advanced(by: cpu * tssWords * 8)
        }
        tss.initializeMemory(as: UInt8.self, repeating: 0, count: tssWords * 8)
        tss.storeBytes(of: istTops.0, toByteOffset: 36, as: UInt64.self)
        tss.storeBytes(of: istTops.1, toByteOffset: 44, as: UInt64.self)
        tss.storeBytes(of: istTops.2, toByteOffset: 52, as: UInt64.self)
        tss.storeBytes(of: UInt16(104), toByteOffset: 102, as: UInt16.self)  // no I/O bitmap

        let base = UInt64(UInt(bitPattern: tss))
        let limit: UInt64 = 103
        let first = cpu * entriesPerCPU
        tables[cpu][0] = 0
        tables[cpu][1] = 0x00AF_9A00_0000_FFFF  // kernel code, 64-bit
        tables[cpu][2] = 0x00CF_9200_0000_FFFF  // kernel data
        tables[cpu][3] = 0x00CF_F200_0000_FFFF  // user data
        tables[cpu][4] = 0x00AF_FA00_0000_FFFF  // user code, 64-bit
        tables[cpu][5] =
            (limit & 0xFFFF) | ((base & 0xFF_FFFF) << 16) | (0x89 << 40)
            | (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56)
        tables[cpu][6] = base >> 32

        let gdtBase = withUnsafeMutablePointer(to: &tables) {
            UInt64(UInt(bitPattern: UnsafeMutableRawPointer($0).advanced(by: first * 8)))
        }
        cpu_lgdt(gdtBase, UInt16(entriesPerCPU * 8 - 1))
        cpu_reload_segments(Selector.kernelCode, Selector.kernelData)
        cpu_ltr(Selector.tss)
    }

    /// Sets the stack the CPU switches to when an interrupt arrives from user mode.
    static func setKernelStack(cpu: Int, top: UInt64) {
        withUnsafeMutablePointer(to: &taskStates) {
            UnsafeMutableRawPointer($0).storeBytes(of: top, toByteOffset: cpu * tssWords * 8 + 4, as: UInt64.self)
        }
    }
}
