// The x86-64 register file as QEMU 7.2's `g` reply lays it out (checked against gdb's
// `maint print remote-registers` on this machine): rax..r15, rip at byte 128, eflags (4 bytes),
// six 4-byte selectors, then fs_base, gs_base, k_gs_base, cr0, cr2, cr3, cr4, cr8, efer (8 bytes
// each, from byte 164), then FPU/SSE state, which the harness does not need.

public struct X86Registers: Equatable {
    public static let generalNames = [
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    ]
    /// Register numbers for `p`/`P` (gdb's numbering for this target).
    public static let number: [String: Int] = {
        var table: [String: Int] = [:]
        for (index, name) in generalNames.enumerated() { table[name] = index }
        let rest = [
            "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
            "fs_base", "gs_base", "k_gs_base", "cr0", "cr2", "cr3", "cr4", "cr8", "efer",
        ]
        for (index, name) in rest.enumerated() { table[name] = 16 + index }
        return table
    }()

    public var general: [UInt64]
    public var rip: UInt64
    public var eflags: UInt32
    public var selectors: [UInt32]
    public var fsBase: UInt64, gsBase: UInt64, kernelGSBase: UInt64
    public var cr0: UInt64, cr2: UInt64, cr3: UInt64, cr4: UInt64, cr8: UInt64, efer: UInt64

    public var rsp: UInt64 { general[7] }
    public var rbp: UInt64 { general[6] }
    /// EFLAGS.IF: maskable interrupts enabled.
    public var interruptsEnabled: Bool { eflags & 0x200 != 0 }

    /// Parses the bytes of a `g` reply (already hex-decoded). Nil when it is too short.
    public init?(gReply bytes: [UInt8]) {
        guard bytes.count >= 236 else { return nil }
        func u64(_ offset: Int) -> UInt64 { littleEndian(bytes, offset, 8) }
        func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian(bytes, offset, 4)) }
        general = (0..<16).map { u64($0 * 8) }
        rip = u64(128)
        eflags = u32(136)
        selectors = (0..<6).map { u32(140 + $0 * 4) }
        fsBase = u64(164)
        gsBase = u64(172)
        kernelGSBase = u64(180)
        cr0 = u64(188)
        cr2 = u64(196)
        cr3 = u64(204)
        cr4 = u64(212)
        cr8 = u64(220)
        efer = u64(228)
    }
}

func littleEndian(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in stride(from: count - 1, through: 0, by: -1) { value = value << 8 | UInt64(bytes[offset + index]) }
    return value
}

public enum Hex {
    /// Hex text → bytes; nil on an odd length or a non-hex digit. `xx` (unavailable) reads as 0.
    public static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "x") && utf8[index + 1] == UInt8(ascii: "x") {
                out.append(0)
                index += 2
                continue
            }
            guard let high = digit(utf8[index]), let low = digit(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.flatMap { GDBPacketCodec.hexPair($0) }, as: UTF8.self)
    }

    private static func digit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
