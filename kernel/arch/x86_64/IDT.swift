// The interrupt descriptor table, shared by every CPU: each vector points at its stub in
// traps.S; #DF, NMI and #MC run on their own interrupt stacks.
import Hardware

/// The CPU's exception vectors the kernel treats apart (Intel SDM vol. 3, table 6-1);
/// `exceptionName` in trap/TrapDispatch.swift names all of them.
enum ExceptionVector {
    static let divideError = 0
    static let nmi = 2
    static let invalidOpcode = 6
    static let doubleFault = 8
    static let generalProtection = 13
    static let pageFault = 14
    static let x87FloatingPoint = 16
    static let machineCheck = 18
    static let simdFloatingPoint = 19
    /// Vectors below this are exceptions; the rest are interrupts (`Vector`, `PIC`).
    static let count = 32
}

enum IDT {
    nonisolated(unsafe) static var gates: InlineArray<512, UInt64> = .init(repeating: 0)  // 256 x 16 bytes

    /// Fills every gate. Called once, on the boot CPU.
    static func build() {
        for vector in 0..<256 {
            let ist: UInt8
            switch vector {
            case ExceptionVector.nmi: ist = InterruptStack.nmi
            case ExceptionVector.doubleFault: ist = InterruptStack.doubleFault
            case ExceptionVector.machineCheck: ist = InterruptStack.machineCheck
            default: ist = 0
            }
            // Vector 0x80 is the system call: the only gate ring 3 may use.
            setGate(vector, handler: trap_stub_address(Int32(vector)), ist: ist, userCallable: vector == Vector.systemCall)
        }
    }

    static func setGate(_ vector: Int, handler: UInt64, ist: UInt8, userCallable: Bool) {
        let typeAttributes: UInt64 = userCallable ? 0xEE : 0x8E  // present interrupt gate, DPL 3 or 0
        gates[vector * 2] =
            (handler & 0xFFFF) | (UInt64(Selector.kernelCode) << 16) | (UInt64(ist) << 32)
            | (typeAttributes << 40) | (((handler >> 16) & 0xFFFF) << 48)
        gates[vector * 2 + 1] = handler >> 32
    }

    /// Loads the table on the calling CPU.
    static func load() {
        let base = withUnsafeMutablePointer(to: &gates) { UInt64(UInt(bitPattern: $0)) }
        cpu_lidt(base, 256 * 16 - 1)
    }
}
