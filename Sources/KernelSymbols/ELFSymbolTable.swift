// The symbol table of an ELF64 little-endian image (the kernel's build/kernel/kernel.elf):
// section headers, .symtab and its string table. Only what symbolizing needs; anything
// malformed is refused with the offset that was wrong.
import Foundation

public struct ELFSymbol: Equatable {
    public let name: String
    public let address: UInt64
    public let size: UInt64
    public let isFunction: Bool
}

public struct ELFSection: Equatable {
    public let name: String
    public let address: UInt64
    public let size: UInt64
}

public struct ELFSectionContents {
    public let name: String
    public let address: UInt64
    public let bytes: [UInt8]
}

public struct ELFError: Error, CustomStringConvertible {
    public let description: String
}

public struct ELFImage {
    public let sections: [ELFSection]
    /// Functions and objects with an address, sorted by address.
    public let symbols: [ELFSymbol]
    /// The loaded executable sections (SHF_ALLOC and SHF_EXECINSTR): where a return address may point.
    public let executableRanges: [Range<UInt64>]
    /// The call-frame sections an unwinder reads (`.eh_frame`, `.debug_frame`), when present.
    public let callFrameSections: [ELFSectionContents]

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ELFError(description: "\(path): cannot read") }
        try self.init(bytes: [UInt8](data), name: path)
    }

    public init(bytes: [UInt8], name: String = "image") throws {
        func u16(_ at: Int) throws -> UInt64 { try read(bytes, at, 2, name) }
        func u32(_ at: Int) throws -> UInt64 { try read(bytes, at, 4, name) }
        func u64(_ at: Int) throws -> UInt64 { try read(bytes, at, 8, name) }
        guard bytes.count >= 64, bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46] else {
            throw ELFError(description: "\(name): not an ELF file")
        }
        guard bytes[4] == 2, bytes[5] == 1 else { throw ELFError(description: "\(name): not ELF64 little-endian") }
        let sectionOffset = Int(try u64(0x28))
        let entrySize = Int(try u16(0x3a))
        let count = Int(try u16(0x3c))
        let namesIndex = Int(try u16(0x3e))
        guard entrySize >= 64, count > 0, namesIndex < count else {
            throw ELFError(description: "\(name): bad section header table")
        }

        struct Header {
            var name: Int
            var type: UInt64
            var flags: UInt64
            var address: UInt64
            var offset: Int
            var size: Int
            var link: Int
            var entrySize: Int
        }
        var headers: [Header] = []
        for index in 0..<count {
            let at = sectionOffset + index * entrySize
            headers.append(
                Header(
                    name: Int(try u32(at)), type: try u32(at + 4), flags: try u64(at + 8), address: try u64(at + 0x10),
                    offset: Int(try u64(at + 0x18)), size: Int(try u64(at + 0x20)),
                    link: Int(try u32(at + 0x28)), entrySize: Int(try u64(at + 0x38))))
        }
        func string(_ table: Header, _ offset: Int) throws -> String {
            let start = table.offset + offset
            guard offset < table.size, start < bytes.count else {
                throw ELFError(description: "\(name): string offset \(offset) outside its table")
            }
            var end = start
            while end < bytes.count, end < table.offset + table.size, bytes[end] != 0 { end += 1 }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        let names = headers[namesIndex]
        sections = try headers.map { ELFSection(name: try string(names, $0.name), address: $0.address, size: UInt64($0.size)) }
        executableRanges = headers.filter { $0.flags & 0x6 == 0x6 && $0.size > 0 }
            .map { $0.address..<$0.address &+ UInt64($0.size) }
        var frames: [ELFSectionContents] = []
        for (header, section) in zip(headers, sections)
        where [".eh_frame", ".debug_frame"].contains(section.name) && header.type != 8 /* SHT_NOBITS */ {
            guard header.offset >= 0, header.size >= 0, header.offset + header.size <= bytes.count else {
                throw ELFError(description: "\(name): section \(section.name) runs past the end of the file")
            }
            frames.append(
                ELFSectionContents(
                    name: section.name, address: header.address, bytes: Array(bytes[header.offset..<header.offset + header.size]))
            )
        }
        callFrameSections = frames

        var symbols: [ELFSymbol] = []
        for table in headers where table.type == 2 /* SHT_SYMTAB */ {
            guard table.entrySize >= 24, table.link < headers.count, table.offset + table.size <= bytes.count else {
                throw ELFError(description: "\(name): bad symbol table")
            }
            let strings = headers[table.link]
            for index in 1..<(table.size / table.entrySize) {
                let at = table.offset + index * table.entrySize
                let type = bytes[at + 4] & 0xf
                let sectionIndex = try u16(at + 6)
                // Functions (2) and objects (1) and untyped labels from assembly (0) in a section.
                guard type <= 2, sectionIndex != 0, sectionIndex < 0xff00 else { continue }
                let value = try u64(at + 8)
                guard value != 0 else { continue }
                let symbolName = try string(strings, Int(try u32(at)))
                guard !symbolName.isEmpty else { continue }
                symbols.append(ELFSymbol(name: symbolName, address: value, size: try u64(at + 16), isFunction: type != 1))
            }
        }
        self.symbols = symbols.sorted { ($0.address, $1.size) < ($1.address, $0.size) }
    }
}

private func read(_ bytes: [UInt8], _ at: Int, _ count: Int, _ name: String) throws -> UInt64 {
    guard at >= 0, at + count <= bytes.count else { throw ELFError(description: "\(name): offset \(at) past the end") }
    var value: UInt64 = 0
    for index in stride(from: count - 1, through: 0, by: -1) { value = value << 8 | UInt64(bytes[at + index]) }
    return value
}
