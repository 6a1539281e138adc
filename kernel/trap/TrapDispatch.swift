// Where every interrupt and exception lands (from traps.S). Exceptions in the kernel are fatal;
// device interrupts go to their handler.
import Hardware
import Synchronization

@_cdecl("trap_dispatch")
func trapDispatch(_ frame: UnsafeMutablePointer<trap_frame>) {
    let vector = Int(frame.pointee.vector)
    let fromUser = frame.pointee.cs & 3 == 3
    defer {
        // Every way back to user mode passes here: a pending kill ends the process now.
        if fromUser {
            cpu_cli()
            Processes.checkKill()
        }
    }
    if fromUser && vector < ExceptionVector.count && vector != ExceptionVector.nmi { userException(frame) }
    switch vector {
    case ExceptionVector.nmi:
        NMI.handle(frame)
    case 0..<ExceptionVector.count:
        kernelException(frame)
    case Vector.timer:
        Tick.interrupt(frame)
    case Vector.reschedule:
        LocalAPIC.endOfInterrupt()
    case Vector.crossCall:
        LocalAPIC.endOfInterrupt()
        CrossCall.interrupt()
    case Vector.panicStop:
        LocalAPIC.endOfInterrupt()
        Panic.stopHere(frame)
    case Vector.spurious:
        return
    case Vector.systemCall where fromUser:
        Syscalls.dispatch(frame)
    case PIC.firstVector..<(PIC.firstVector + 16):
        let line = vector - PIC.firstVector
        if line == 7 || line == 15 { return }  // spurious: no EOI for line 7
        if line == 4 { Shell.serialInterrupt() }
        PIC.endOfInterrupt(line: line)
    default:
        panic("unexpected interrupt", frame: frame) {
            $0.text(" vector=")
            $0.dec(vector)
        }
    }
}

/// An exception in user mode ends that process only.
private func userException(_ frame: UnsafeMutablePointer<trap_frame>) -> Never {
    switch Int(frame.pointee.vector) {
    case ExceptionVector.pageFault: Processes.userFault(frame, reason: "page fault", status: ExitStatus.segmentationFault)
    case ExceptionVector.invalidOpcode:
        Processes.userFault(frame, reason: "invalid opcode", status: ExitStatus.illegalInstruction)
    case ExceptionVector.generalProtection:
        Processes.userFault(frame, reason: "general protection fault", status: ExitStatus.segmentationFault)
    case ExceptionVector.divideError, ExceptionVector.x87FloatingPoint, ExceptionVector.simdFloatingPoint:
        Processes.userFault(frame, reason: "arithmetic fault", status: ExitStatus.arithmetic)
    default: Processes.userFault(frame, reason: exceptionName(frame.pointee.vector), status: ExitStatus.segmentationFault)
    }
}

private func kernelException(_ frame: UnsafeMutablePointer<trap_frame>) -> Never {
    let f = frame.pointee
    switch Int(f.vector) {
    case ExceptionVector.invalidOpcode:
        panic("invalid opcode (ud2: a Swift runtime trap such as overflow, bounds or unwrap)", frame: frame)
    case ExceptionVector.doubleFault:
        panic("double fault (a kernel stack overflow?)", frame: frame)
    case ExceptionVector.pageFault:
        let address = cpu_read_cr2()
        let onGuard = PageTables.isStackGuard(address)
        if onGuard {
            panic("kernel stack overflow (page fault on a guard page)", frame: frame) {
                $0.text(" address=")
                $0.hex(address)
            }
        }
        panic("page fault", frame: frame) { l in
            l.text(" address=")
            l.hex(address)
            l.text(f.error_code & 1 != 0 ? " protection" : " not-present")
            l.text(f.error_code & 2 != 0 ? " write" : " read")
            if f.error_code & 16 != 0 { l.text(" instruction-fetch") }
            if f.error_code & 4 != 0 { l.text(" user") }
        }
    default:
        panic(exceptionName(f.vector), frame: frame)
    }
}

private func exceptionName(_ vector: UInt64) -> StaticString {
    switch vector {
    case 0: return "divide error"
    case 1: return "debug exception"
    case 2: return "non-maskable interrupt"
    case 3: return "breakpoint"
    case 4: return "overflow"
    case 5: return "bound range exceeded"
    case 7: return "device not available"
    case 10: return "invalid TSS"
    case 11: return "segment not present"
    case 12: return "stack-segment fault"
    case 13: return "general protection fault"
    case 16: return "x87 floating-point error"
    case 17: return "alignment check"
    case 18: return "machine check"
    case 19: return "SIMD floating-point exception"
    case 20: return "virtualization exception"
    case 21: return "control protection exception"
    default: return "reserved exception"
    }
}

/// Non-maskable interrupts: the panic's last resort to stop a CPU, the soft-lockup watch's way
/// to see where a stuck CPU is, and (from QMP `inject-nmi`) a way to ask every CPU where it is.
enum NMI {
    static func handle(_ frame: UnsafeMutablePointer<trap_frame>) {
        let me = CPUs.currentIndex
        let owner = Panic.owner.load(ordering: .acquiring)
        if owner != -1 {
            if owner != me { Panic.stopHere(frame) }
            return
        }
        let bit: UInt64 = 1 << UInt64(me)
        let f = frame.pointee
        let requested = Tick.backtraceRequests.load(ordering: .acquiring) & bit != 0
        if requested { Tick.backtraceRequests.bitwiseAnd(~bit, ordering: .relaxed) }
        Console.forcedLine { l in
            l.text(requested ? "watchdog: CPU " : "nmi: CPU ")
            l.dec(me)
            l.text(" rip=")
            l.hex(f.rip, width: 16)
            l.text(f.rflags & (1 << 9) != 0 ? " interrupts=on" : " interrupts=off")
        }
        Backtrace.walk(framePointer: f.rbp) { index, address in
            Console.forcedLine {
                $0.text("  #")
                $0.dec(index)
                $0.text(" ")
                $0.hex(address, width: 16)
            }
        }
    }
}
