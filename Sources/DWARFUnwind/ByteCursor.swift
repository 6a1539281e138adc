// A cursor over the bytes of a call-frame section: fixed-size little-endian words, LEB128
// numbers and the pointer encodings of .eh_frame (DW_EH_PE_*). Every read is bounds-checked;
// a read past the end throws with the offset, so a corrupt table is refused, never trusted.

public struct CallFrameError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

struct ByteCursor {
    let bytes: [UInt8]
    /// The address the section is loaded at: the base of pc-relative pointers.
    let sectionAddress: UInt64
    var offset: Int
    /// Reads stop here (the end of the current entry).
    var limit: Int

    init(bytes: [UInt8], sectionAddress: UInt64, offset: Int = 0, limit: Int? = nil) {
        self.bytes = bytes
        self.sectionAddress = sectionAddress
        self.offset = offset
        self.limit = min(limit ?? bytes.count, bytes.count)
    }

    var atEnd: Bool { offset >= limit }

    mutating func u8() throws -> UInt8 {
        guard offset < limit else { throw CallFrameError("read past the end at offset 0x\(hex(UInt64(offset)))") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func unsigned(_ size: Int) throws -> UInt64 {
        guard offset + size <= limit else { throw CallFrameError("read past the end at offset 0x\(hex(UInt64(offset)))") }
        var value: UInt64 = 0
        for index in stride(from: size - 1, through: 0, by: -1) { value = value << 8 | UInt64(bytes[offset + index]) }
        offset += size
        return value
    }

    mutating func signed(_ size: Int) throws -> Int64 {
        let value = try unsigned(size)
        let shift = UInt64(64 - size * 8)
        return Int64(bitPattern: value << shift) >> Int64(shift)
    }

    mutating func uleb128() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8()
            if shift < 64 { value |= UInt64(byte & 0x7f) << shift }
            shift += 7
            if byte & 0x80 == 0 { return value }
        }
    }

    mutating func sleb128() throws -> Int64 {
        var value: Int64 = 0
        var shift: Int64 = 0
        var byte: UInt8
        repeat {
            byte = try u8()
            if shift < 64 { value |= Int64(byte & 0x7f) << shift }
            shift += 7
        } while byte & 0x80 != 0
        if shift < 64, byte & 0x40 != 0 { value |= -1 << shift }
        return value
    }

    mutating func string() throws -> String {
        var end = offset
        while end < limit, bytes[end] != 0 { end += 1 }
        guard end < limit else { throw CallFrameError("unterminated string at offset 0x\(hex(UInt64(offset)))") }
        defer { offset = end + 1 }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    /// A pointer in `encoding` (DW_EH_PE_*): the low nibble is the format, bits 4-6 the base
    /// (0 absolute, 0x10 pc-relative); 0x80 (indirect) and other bases are refused.
    mutating func pointer(_ encoding: UInt8) throws -> UInt64 {
        if encoding == 0xff { throw CallFrameError("omitted pointer (DW_EH_PE_omit) where one is needed") }
        if encoding & 0x80 != 0 { throw CallFrameError("indirect pointer encoding 0x\(hex(UInt64(encoding))) is unsupported") }
        let fieldAddress = sectionAddress &+ UInt64(offset)
        let value: UInt64
        switch encoding & 0x0f {
        case 0x00: value = try unsigned(8)  // absptr on a 64-bit target
        case 0x01: value = try uleb128()
        case 0x02: value = try unsigned(2)
        case 0x03: value = try unsigned(4)
        case 0x04: value = try unsigned(8)
        case 0x09: value = UInt64(bitPattern: try sleb128())
        case 0x0a: value = UInt64(bitPattern: try signed(2))
        case 0x0b: value = UInt64(bitPattern: try signed(4))
        case 0x0c: value = try unsigned(8)
        default: throw CallFrameError("pointer encoding 0x\(hex(UInt64(encoding))) has an unknown format")
        }
        switch encoding & 0x70 {
        case 0x00: break
        case 0x10: return fieldAddress &+ value
        default: throw CallFrameError("pointer encoding 0x\(hex(UInt64(encoding))) has an unsupported base")
        }
        return value
    }

    /// Steps over a pointer in `encoding` without resolving it (a personality routine's address,
    /// which may be indirect).
    mutating func skipPointer(_ encoding: UInt8) throws {
        if encoding == 0xff { return }
        _ = try pointer(encoding & 0x0f)
    }
}

func hex(_ value: UInt64) -> String { String(value, radix: 16) }
