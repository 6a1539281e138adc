// A `System.map` (the text `nm` prints: `ffffffff81000000 T _stext`, one symbol a line) read
// into the same shape as an ELF image's symbols, so a kernel shipped without an ELF with
// symbols (Debian's Linux: its vmlinuz has none) is symbolized all the same.
import Foundation

extension ELFImage {
    /// A symbol table and the address ranges it covers, from anything but an ELF file.
    public init(sections: [ELFSection], symbols: [ELFSymbol]) {
        self.sections = sections
        self.symbols = symbols.sorted { ($0.address, $1.size) < ($1.address, $0.size) }
        // No section headers: code is told by the function symbols (SymbolMap.isText), and
        // there is no unwind table, so walks use frame pointers.
        self.executableRanges = []
        self.callFrameSections = []
    }

    /// Reads `System.map` text. A symbol has no size in nm's output: it reaches to the next one
    /// (SymbolMap's rule for a symbol without a size). Its ranges are made from the addresses:
    /// runs of symbols closer than `gap` to each other form one range, so Linux's per-CPU
    /// symbols near address 0 do not join its text at 0xffffffff81000000 into one range that
    /// would claim every address between them.
    public init(systemMap text: String, name: String = "System.map", gap: UInt64 = 256 << 20) throws {
        var symbols: [ELFSymbol] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.isEmpty { continue }
            guard fields.count >= 3, fields[1].count == 1, let address = UInt64(fields[0], radix: 16) else {
                throw ELFError(
                    description: "\(name):\(lineNumber): not a System.map line (ADDRESS TYPE NAME): '\(line.prefix(80))'")
            }
            let type = fields[1].first!
            // Absolute (A), undefined (U) and debugger (N) entries name no place in the image.
            guard !"AaUuNn".contains(type), address != 0 else { continue }
            symbols.append(
                ELFSymbol(name: String(fields[2]), address: address, size: 0, isFunction: "TtWw".contains(type)))
        }
        guard !symbols.isEmpty else { throw ELFError(description: "\(name): no symbols") }
        let addresses = symbols.map(\.address).sorted()
        var sections: [ELFSection] = []
        var start = addresses[0]
        var last = addresses[0]
        for address in addresses.dropFirst() {
            if address - last > gap {
                sections.append(ELFSection(name: "run", address: start, size: last - start + 1))
                start = address
            }
            last = address
        }
        sections.append(ELFSection(name: "run", address: start, size: last - start + 1))
        self.init(sections: sections, symbols: symbols)
    }

    /// An ELF64 image, or else a System.map: what a profile's `symbols:` names.
    public init(symbolFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ELFError(description: "\(path): cannot read") }
        let bytes = [UInt8](data)
        if bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46]) {
            try self.init(bytes: bytes, name: path)
        } else {
            try self.init(systemMap: String(decoding: bytes, as: UTF8.self), name: path)
        }
    }
}
