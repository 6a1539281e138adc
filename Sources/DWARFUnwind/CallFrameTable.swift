// The entries of one call-frame section: CIEs (what all of a compiler's frames share) and FDEs
// (one per function: its address range and its CFA program), from `.eh_frame` (GCC's loaded
// copy, pc-relative pointers, CIE id 0) or `.debug_frame` (DWARF's, absolute addresses, CIE id
// all ones, 32- or 64-bit DWARF). FDEs are sorted by address for the lookup by pc.

public struct CommonInformationEntry: Equatable {
    public let offset: Int
    public let version: UInt8
    public let augmentation: String
    public let codeAlignment: UInt64
    public let dataAlignment: Int64
    public let returnAddressRegister: Int
    /// How the FDEs of this CIE encode their addresses (`R`); absolute 8 bytes without it.
    public let pointerEncoding: UInt8
    /// The frames are a signal (interrupt) frame's (`S`): their pc is not a return address.
    public let isSignalFrame: Bool
    /// `z`: every FDE carries augmentation data, skipped by its length.
    let hasAugmentationData: Bool
    /// The initial instructions, as offsets into the section.
    let instructions: Range<Int>
}

public struct FrameDescriptionEntry: Equatable {
    public let offset: Int
    public let cieOffset: Int
    public let pcRange: Range<UInt64>
    /// The CFA program, as offsets into the section.
    let instructions: Range<Int>
}

public struct CallFrameTable {
    /// `.eh_frame` or `.debug_frame`.
    public let sectionName: String
    public let sectionAddress: UInt64
    let bytes: [UInt8]
    public private(set) var cies: [Int: CommonInformationEntry] = [:]
    /// Sorted by start address.
    public private(set) var fdes: [FrameDescriptionEntry] = []
    /// How far the running kernel sits above the addresses the table was linked at (a KASLR
    /// offset): pcs are looked up `slide` lower. Stack addresses are not affected.
    public var slide: UInt64 = 0

    var isEHFrame: Bool { sectionName != ".debug_frame" }

    /// Parses every entry; a malformed one throws with its offset (the section is then not used:
    /// an unwinder that skipped entries would silently skip functions).
    public init(sectionName: String, address: UInt64, bytes: [UInt8]) throws {
        self.sectionName = sectionName
        self.sectionAddress = address
        self.bytes = bytes
        var offset = 0
        var found: [FrameDescriptionEntry] = []
        while offset + 4 <= bytes.count {
            var cursor = ByteCursor(bytes: bytes, sectionAddress: address, offset: offset)
            var length = try cursor.unsigned(4)
            if length == 0 {
                // .eh_frame ends at a zero terminator; .debug_frame may pad with zeros.
                if isEHFrame { break }
                offset += 4
                continue
            }
            let is64 = length == 0xffff_ffff
            if is64 { length = try cursor.unsigned(8) }
            let end = cursor.offset + Int(clamping: length)
            guard length < UInt64(bytes.count), end <= bytes.count else {
                throw CallFrameError("\(sectionName)+0x\(hex(UInt64(offset))): entry length \(length) runs past the section")
            }
            cursor.limit = end
            let idField = cursor.offset
            let id = try cursor.unsigned(is64 ? 8 : 4)
            do {
                if isEHFrame ? id == 0 : id == (is64 ? UInt64.max : 0xffff_ffff) {
                    let cie = try Self.parseCIE(&cursor, offset: offset, ehFrame: isEHFrame)
                    cies[offset] = cie
                } else {
                    let cieOffset = isEHFrame ? idField - Int(id) : Int(id)
                    let cie = try cies[cieOffset] ?? parseCIE(at: cieOffset)
                    cies[cieOffset] = cie
                    let fde = try Self.parseFDE(&cursor, offset: offset, cie: cie)
                    // A function the linker dropped keeps its .debug_frame entry at address 0.
                    if !fde.pcRange.isEmpty, fde.pcRange.lowerBound != 0 || isEHFrame { found.append(fde) }
                }
            } catch let error as CallFrameError {
                throw CallFrameError("\(sectionName)+0x\(hex(UInt64(offset))): \(error.description)")
            }
            offset = end
        }
        fdes = found.sorted { $0.pcRange.lowerBound < $1.pcRange.lowerBound }
    }

    /// The FDE whose range holds `pc`, if any.
    public func entry(for pc: UInt64) -> FrameDescriptionEntry? {
        var low = 0
        var high = fdes.count
        while low < high {
            let mid = (low + high) / 2
            if fdes[mid].pcRange.lowerBound <= pc { low = mid + 1 } else { high = mid }
        }
        guard low > 0, fdes[low - 1].pcRange.contains(pc) else { return nil }
        return fdes[low - 1]
    }

    public func cie(of fde: FrameDescriptionEntry) -> CommonInformationEntry? { cies[fde.cieOffset] }

    private func parseCIE(at offset: Int) throws -> CommonInformationEntry {
        guard offset >= 0, offset + 4 <= bytes.count else {
            throw CallFrameError("CIE pointer 0x\(hex(UInt64(offset))) is outside the section")
        }
        var cursor = ByteCursor(bytes: bytes, sectionAddress: sectionAddress, offset: offset)
        var length = try cursor.unsigned(4)
        let is64 = length == 0xffff_ffff
        if is64 { length = try cursor.unsigned(8) }
        guard length < UInt64(bytes.count) else { throw CallFrameError("CIE at 0x\(hex(UInt64(offset))) runs past the section") }
        cursor.limit = min(bytes.count, cursor.offset + Int(length))
        let id = try cursor.unsigned(is64 ? 8 : 4)
        guard isEHFrame ? id == 0 : id == (is64 ? UInt64.max : 0xffff_ffff) else {
            throw CallFrameError("CIE pointer 0x\(hex(UInt64(offset))) does not point at a CIE")
        }
        return try Self.parseCIE(&cursor, offset: offset, ehFrame: isEHFrame)
    }

    private static func parseCIE(_ cursor: inout ByteCursor, offset: Int, ehFrame: Bool) throws -> CommonInformationEntry {
        let version = try cursor.u8()
        guard [1, 3, 4].contains(version) else { throw CallFrameError("CIE version \(version) is unsupported") }
        let augmentation = try cursor.string()
        if augmentation.contains("eh") { _ = try cursor.unsigned(8) }  // GCC 2's EH data pointer
        if version >= 4 {
            let addressSize = try cursor.u8()
            _ = try cursor.u8()  // segment selector size
            guard addressSize == 8 else { throw CallFrameError("address size \(addressSize) is unsupported") }
        }
        let codeAlignment = try cursor.uleb128()
        let dataAlignment = try cursor.sleb128()
        let returnAddressRegister = version == 1 ? Int(try cursor.u8()) : Int(clamping: try cursor.uleb128())
        var pointerEncoding: UInt8 = 0
        var isSignalFrame = false
        let hasAugmentationData = augmentation.hasPrefix("z")
        if hasAugmentationData {
            let length = try cursor.uleb128()
            let end = cursor.offset + Int(clamping: length)
            guard end <= cursor.limit else { throw CallFrameError("augmentation data runs past the CIE") }
            for letter in augmentation.dropFirst() {
                switch letter {
                case "R": pointerEncoding = try cursor.u8()
                case "P":
                    let encoding = try cursor.u8()
                    try cursor.skipPointer(encoding)
                case "L": _ = try cursor.u8()  // the LSDA's encoding; an unwinder needs no LSDA
                case "S": isSignalFrame = true
                default: break  // unknown letters: the length lets us step over their data
                }
            }
            cursor.offset = end
        } else if !augmentation.isEmpty && augmentation != "eh" {
            throw CallFrameError("augmentation \"\(augmentation)\" is unknown and has no length")
        }
        return CommonInformationEntry(
            offset: offset, version: version, augmentation: augmentation, codeAlignment: codeAlignment,
            dataAlignment: dataAlignment, returnAddressRegister: returnAddressRegister, pointerEncoding: pointerEncoding,
            isSignalFrame: isSignalFrame, hasAugmentationData: hasAugmentationData,
            instructions: cursor.offset..<cursor.limit)
    }

    private static func parseFDE(
        _ cursor: inout ByteCursor, offset: Int, cie: CommonInformationEntry
    ) throws -> FrameDescriptionEntry {
        let start = try cursor.pointer(cie.pointerEncoding)
        // The range is a length: its format is the CIE's, never pc-relative.
        let length = try cursor.pointer(cie.pointerEncoding & 0x0f)
        if cie.hasAugmentationData {
            let skip = try cursor.uleb128()
            cursor.offset += Int(clamping: skip)
            guard cursor.offset <= cursor.limit else { throw CallFrameError("augmentation data runs past the FDE") }
        }
        let end = start &+ length
        return FrameDescriptionEntry(
            offset: offset, cieOffset: cie.offset, pcRange: start..<max(start, end),
            instructions: cursor.offset..<cursor.limit)
    }
}
