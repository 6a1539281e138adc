// One row of a function's unwind table (DWARF 5, section 6.4.1): how to find the CFA (the
// caller's stack pointer before the call) and where each register of the caller was saved, at
// one range of addresses. Registers are DWARF's x86-64 numbers (DWARFRegister).

public enum CFARule: Equatable {
    /// CFA = register + offset.
    case registerOffset(register: Int, offset: Int64)
    /// DW_CFA_def_cfa_expression: a DWARF expression this unwinder does not evaluate.
    case expression
}

public enum RegisterRule: Equatable {
    /// The caller's value is lost (DW_CFA_undefined); for the return address: the outermost frame.
    case undefined
    case sameValue
    /// Saved at CFA + offset.
    case offset(Int64)
    /// The value is CFA + offset itself.
    case valueOffset(Int64)
    /// In another register.
    case register(Int)
    /// DW_CFA_expression / DW_CFA_val_expression: not evaluated.
    case expression
    case valueExpression
}

public struct UnwindRow: Equatable {
    /// The first address the row applies to.
    public var location: UInt64
    public var cfa: CFARule
    /// Registers with an explicit rule; the rest follow the ABI's default (DWARFRegister).
    public var registers: [Int: RegisterRule]

    public init(location: UInt64, cfa: CFARule, registers: [Int: RegisterRule]) {
        self.location = location
        self.cfa = cfa
        self.registers = registers
    }
}

/// x86-64 DWARF register numbers (System V psABI, figure 3.36) and their names.
public enum DWARFRegister {
    public static let rbx = 3, rbp = 6, rsp = 7, returnAddress = 16
    public static let names = [
        "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
    ]
    /// Preserved across calls: without a rule, the caller's value is the callee's.
    public static let calleeSaved: Set<Int> = [rbx, rbp, 12, 13, 14, 15]
    /// DWARF number → index in gdb's `g` order (rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8..r15).
    public static let gdbIndex = [0, 3, 2, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]

    public static func name(_ number: Int) -> String { number < names.count ? names[number] : "r\(number)" }
}
