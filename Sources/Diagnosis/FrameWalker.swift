// Backtraces read from guest memory, by the symbols' DWARF call-frame information when they have
// it (DWARFUnwind) and by frame pointers otherwise. Every frame past the first is checked before
// it is printed — its return address in the kernel's text, its stack pointer aligned and
// climbing by at most a bounded span, its memory readable — and the walk stops at the first
// that fails, saying why: a backtrace is right as far as it goes, or says where it stopped
// being right.
import DWARFUnwind

public struct Frame: Equatable {
    /// RIP for frame 0, else a return address.
    public let address: UInt64
    /// `symbol+offset`, from `address` for frame 0 and `address - 1` for return addresses
    /// (a call's return address may already belong to the next function).
    public let location: String?
    public let isReturnAddress: Bool

    public init(address: UInt64, location: String?, isReturnAddress: Bool) {
        self.address = address
        self.location = location
        self.isReturnAddress = isReturnAddress
    }
}

/// How a backtrace was unwound.
public enum UnwindMethod: Equatable, CustomStringConvertible {
    /// By the CFI of the named section (`.eh_frame` or `.debug_frame`).
    case callFrameInformation(section: String)
    case framePointer

    public var description: String {
        switch self {
        case .callFrameInformation(let section): return "dwarf-cfi (\(section))"
        case .framePointer: return "frame-pointer"
        }
    }
}

public struct Backtrace: Equatable {
    public var frames: [Frame] = []
    public var method: UnwindMethod
    /// `end of stack (...)` when the walk reached the bottom by the rules of its method,
    /// `stopped: ...` when a frame failed a check (nothing from that frame on is printed).
    public var ending: String

    public var stoppedEarly: Bool { ending.hasPrefix("stopped:") }
}

/// What a walk reads and asks: guest memory by the word, names, and which addresses are code.
public struct StackAccess {
    public var readWord: (UInt64) throws -> UInt64
    public var symbolize: (UInt64) -> String?
    /// Whether an address is in the kernel's text (a plausible return address).
    public var isText: (UInt64) -> Bool
    /// The start of the function holding an address, if the symbols know it.
    public var functionStart: (UInt64) -> UInt64?

    public init(
        readWord: @escaping (UInt64) throws -> UInt64, symbolize: @escaping (UInt64) -> String?,
        isText: @escaping (UInt64) -> Bool, functionStart: @escaping (UInt64) -> UInt64? = { _ in nil }
    ) {
        self.readWord = readWord
        self.symbolize = symbolize
        self.isText = isText
        self.functionStart = functionStart
    }
}

public enum FrameWalker {
    public static let maximumDepth = 32
    /// Largest gap between two frames: kernel stacks are far smaller.
    public static let maximumFrameSpan: UInt64 = 1 << 20

    /// Walks from the registers of a stopped vCPU (`general` in gdb's `g` order: rax, rbx, rcx,
    /// rdx, rsi, rdi, rbp, rsp, r8..r15), by `table` when given, else by frame pointers.
    public static func walk(rip: UInt64, general: [UInt64], table: CallFrameTable?, access: StackAccess) -> Backtrace {
        if let table { return walkByCFI(rip: rip, general: general, table: table, access: access) }
        guard general.count > 7 else { return walkByFramePointer(rip: rip, rbp: 0, access: access) }
        return walkByFramePointer(rip: rip, rbp: general[6], rsp: general[7], access: access)
    }

    /// Each frame holds [saved rbp][return address] at rbp. Frame 0 may not have its frame yet:
    /// stopped on a function's `push %rbp` or just after it, its return address is at rsp or
    /// rsp+8 and rbp is still its caller's; a function without that prologue (a leaf the
    /// compiler left frameless) hides its caller, and the ending says so.
    public static func walkByFramePointer(rip: UInt64, rbp: UInt64, rsp: UInt64 = 0, access: StackAccess) -> Backtrace {
        var trace = Backtrace(
            frames: [Frame(address: rip, location: access.symbolize(rip), isReturnAddress: false)], method: .framePointer,
            ending: "")
        var framePointer = rbp
        var caveat = ""
        func stop(_ reason: String) -> Backtrace {
            trace.ending = "stopped: " + reason + caveat
            return trace
        }
        if let start = access.functionStart(rip), let prologue = try? access.readWord(start) {
            let pushesRBP = prologue & 0xff == 0x55
            let setsRBP = prologue >> 8 & 0xff_ffff == 0xe5_8948  // mov %rsp,%rbp
            if pushesRBP && setsRBP && rip - start < 4 && rsp != 0 {
                // Before `mov %rsp,%rbp`: the return address is at rsp, or above the pushed rbp.
                let slot = rip == start ? rsp : rsp &+ 8
                guard let returnAddress = try? access.readWord(slot) else {
                    return stop("cannot read the return address at 0x\(hex(slot))")
                }
                if let problem = check(returnAddress: returnAddress, access: access) { return stop(problem) }
                trace.frames.append(
                    Frame(address: returnAddress, location: access.symbolize(returnAddress - 1), isReturnAddress: true))
            } else if !(pushesRBP && setsRBP) {
                caveat = "; frame 0 has no frame-pointer prologue, so its caller may be missing"
            }
        }
        while trace.frames.count < maximumDepth {
            if framePointer == 0 {
                trace.ending = "end of stack (rbp=0)" + caveat
                return trace
            }
            if framePointer % 8 != 0 { return stop("misaligned rbp 0x\(hex(framePointer))") }
            guard let saved = try? access.readWord(framePointer), let returnAddress = try? access.readWord(framePointer &+ 8)
            else {
                return stop("cannot read the frame at rbp 0x\(hex(framePointer))")
            }
            if let problem = check(returnAddress: returnAddress, access: access) { return stop(problem) }
            trace.frames.append(
                Frame(address: returnAddress, location: access.symbolize(returnAddress - 1), isReturnAddress: true))
            if saved == 0 {
                trace.ending = "end of stack (rbp=0)" + caveat
                return trace
            }
            if saved <= framePointer || saved - framePointer > maximumFrameSpan {
                return stop("frame pointer 0x\(hex(saved)) does not climb from 0x\(hex(framePointer))")
            }
            framePointer = saved
        }
        return stop("depth limit \(maximumDepth)")
    }

    /// One frame at a time by the unwind table's rules for its pc; the caller's registers are
    /// what the rules recover (rsp = CFA, callee-saved registers where the callee saved them).
    public static func walkByCFI(rip: UInt64, general: [UInt64], table: CallFrameTable, access: StackAccess) -> Backtrace {
        var trace = Backtrace(
            frames: [Frame(address: rip, location: access.symbolize(rip), isReturnAddress: false)],
            method: .callFrameInformation(section: table.sectionName), ending: "")
        var registers: [Int: UInt64] = [DWARFRegister.returnAddress: rip]
        var previousWasSignalFrame = false
        for (number, index) in DWARFRegister.gdbIndex.enumerated() where index < general.count {
            registers[number] = general[index]
        }
        var caveat = ""
        func stop(_ reason: String) -> Backtrace {
            trace.ending = "stopped: " + reason + caveat
            return trace
        }
        while trace.frames.count < maximumDepth {
            let pc = registers[DWARFRegister.returnAddress] ?? 0
            let pcIsExact = trace.frames.count == 1 || previousWasSignalFrame
            // Frame 0 in code the table does not cover (hand-written assembly, such as Linux's
            // clear_user_rep_good): a leaf that pushed nothing has its return address at rsp.
            // Taken only when the word there follows a `call` to frame 0's own function.
            if trace.frames.count == 1, table.entry(for: pc &- table.slide) == nil,
                let rsp = registers[DWARFRegister.rsp], let caller = leafCaller(pc: pc, rsp: rsp, access: access)
            {
                trace.frames.append(Frame(address: caller, location: access.symbolize(caller - 1), isReturnAddress: true))
                caveat = "; frame 0 has no CFI: taken as a leaf, its return address at rsp follows a call to it"
                registers[DWARFRegister.returnAddress] = caller
                registers[DWARFRegister.rsp] = rsp &+ 8
                continue
            }
            let step: UnwindStep
            do {
                step = try table.unwind(registers, isCallerFrame: !pcIsExact, read: access.readWord)
            } catch {
                let name = access.symbolize(pcIsExact ? pc : pc &- 1).map { " in \($0)" } ?? ""
                return stop("\(error)\(name)")
            }
            if step.isOutermost {
                trace.ending =
                    "end of stack (return address undefined\(access.symbolize(pc).map { " in \($0)" } ?? ""))" + caveat
                return trace
            }
            let stackPointer = registers[DWARFRegister.rsp] ?? 0
            if step.cfa % 8 != 0 { return stop("misaligned CFA 0x\(hex(step.cfa))") }
            if step.cfa <= stackPointer || step.cfa - stackPointer > maximumFrameSpan {
                return stop("CFA 0x\(hex(step.cfa)) does not climb from rsp 0x\(hex(stackPointer))")
            }
            // Above a signal (interrupt) frame the pc is where the code was stopped, not a return address.
            let returnAddress = step.registers[DWARFRegister.returnAddress] ?? 0
            let exact = step.callerPCIsExact
            if let problem = check(returnAddress: returnAddress, exact: exact, access: access) { return stop(problem) }
            trace.frames.append(
                Frame(
                    address: returnAddress, location: access.symbolize(exact ? returnAddress : returnAddress - 1),
                    isReturnAddress: !exact))
            registers = step.registers
            previousWasSignalFrame = step.callerPCIsExact
        }
        return stop("depth limit \(maximumDepth)")
    }

    /// The word at `rsp` when it is a return address just after a `call rel32` (E8) whose target
    /// is the start of the function holding `pc`; nil otherwise.
    static func leafCaller(pc: UInt64, rsp: UInt64, access: StackAccess) -> UInt64? {
        guard let start = access.functionStart(pc), let returnAddress = try? access.readWord(rsp), returnAddress > 5,
            check(returnAddress: returnAddress, access: access) == nil,
            let call = try? access.readWord(returnAddress &- 5), call & 0xff == 0xe8
        else { return nil }
        let displacement = Int64(Int32(truncatingIfNeeded: call >> 8))
        return returnAddress &+ UInt64(bitPattern: displacement) == start ? returnAddress : nil
    }

    private static func check(returnAddress: UInt64, exact: Bool = false, access: StackAccess) -> String? {
        if returnAddress == 0 { return "return address 0" }
        if !access.isText(exact ? returnAddress : returnAddress &- 1) {
            return "return address 0x\(hex(returnAddress)) is not kernel text"
        }
        return nil
    }
}

func hex(_ value: UInt64) -> String { String(value, radix: 16) }
