// Address ↔ name for the kernel image: the lookups a backtrace and a `read-symbol` step need.
// Addresses are the running kernel's: the symbol file's plus `slide` (a KASLR offset).

public struct SymbolMap {
    public let image: ELFImage
    /// What the running kernel's addresses add to the symbol file's (0 unless relocated).
    public private(set) var slide: UInt64 = 0
    private let byAddress: [ELFSymbol]
    private var byName: [String: ELFSymbol] = [:]
    private var byDemangled: [String: ELFSymbol] = [:]

    public init(image: ELFImage) {
        self.image = image
        byAddress = image.symbols
        // Variables (about 200) are demangled once here, so reading one during a diagnosis is a
        // dictionary probe. Functions (about 1,000) are indexed by their short names only when
        // first looked up: a diagnosis never needs that, a breakpoint step does.
        for symbol in image.symbols {
            byName[symbol.name] = byName[symbol.name] ?? symbol
            guard !symbol.isFunction, let full = SwiftDemangler.demangle(symbol.name) else { continue }
            let variable = Self.variableName(full)
            for name in [variable, variable.hasPrefix("Kernel.") ? String(variable.dropFirst(7)) : variable]
            where byDemangled[name] == nil {
                byDemangled[name] = symbol
            }
        }
    }

    /// Short function names (`Scheduler.idleLoop()`), built on first use and shared by copies.
    private final class FunctionIndex {
        var names: [String: ELFSymbol]?
    }
    private let functionIndex = FunctionIndex()

    private func function(named name: String) -> ELFSymbol? {
        if functionIndex.names == nil {
            var names: [String: ELFSymbol] = [:]
            for symbol in byAddress where symbol.isFunction {
                let short = SwiftDemangler.simplified(symbol.name)
                if names[short] == nil { names[short] = symbol }
            }
            functionIndex.names = names
        }
        return functionIndex.names?[name]
    }

    /// An ELF64 image with symbols, or a System.map.
    public init(path: String) throws { self.init(image: try ELFImage(symbolFile: path)) }

    /// The same symbols for a kernel relocated by `offset` (KASLR).
    public func sliding(by offset: UInt64) -> SymbolMap {
        var copy = self
        copy.slide = offset
        return copy
    }

    private func slid(_ symbol: ELFSymbol) -> ELFSymbol {
        slide == 0
            ? symbol
            : ELFSymbol(name: symbol.name, address: symbol.address &+ slide, size: symbol.size, isFunction: symbol.isFunction)
    }

    /// The symbol containing `address`: the last one at or below it, if the address lies within
    /// its size (or, for a symbol without a size, before the next symbol).
    public func symbol(containing runningAddress: UInt64) -> ELFSymbol? {
        let address = runningAddress &- slide
        // Linker labels without a size (`__bss_end`) would otherwise claim everything above them.
        guard image.sections.contains(where: { $0.address != 0 && address >= $0.address && address - $0.address < $0.size })
        else {
            return nil
        }
        var low = 0
        var high = byAddress.count
        while low < high {
            let mid = (low + high) / 2
            if byAddress[mid].address <= address { low = mid + 1 } else { high = mid }
        }
        var index = low - 1
        while index >= 0 {
            let candidate = byAddress[index]
            if candidate.size == 0 || address < candidate.address &+ candidate.size {
                if candidate.size == 0, index + 1 < byAddress.count, byAddress[index + 1].address <= address { return nil }
                return slid(candidate)
            }
            // An enclosing symbol may start lower (a function around a local label).
            if address - candidate.address > 1 << 20 { break }
            index -= 1
        }
        return nil
    }

    /// `Scheduler.schedule()+0x42`, or `0x...` when no symbol covers the address.
    public func describe(_ address: UInt64) -> String {
        guard let symbol = symbol(containing: address) else { return "0x" + String(address, radix: 16) }
        let offset = address - symbol.address
        let name = SwiftDemangler.simplified(symbol.name)
        return offset == 0 ? name : "\(name)+0x\(String(offset, radix: 16))"
    }

    /// A symbol by its mangled name; a variable by its demangled name with or without the module
    /// (`Kernel.CPUs.blocks`, `CPUs.blocks`); a function by its short name (`Scheduler.idleLoop()`).
    /// Not thread-safe on the first function lookup.
    public func lookup(_ name: String) -> ELFSymbol? {
        (byName[name] ?? byDemangled[name] ?? (name.hasSuffix(")") ? function(named: name) : nil)).map(slid)
    }

    /// `static Kernel.CPUs.blocks : Swift.InlineArray<...>` → `Kernel.CPUs.blocks`.
    static func variableName(_ demangled: String) -> String {
        var text = Substring(demangled)
        if text.hasPrefix("static ") { text = text.dropFirst(7) }
        if let colon = text.range(of: " : ") { text = text[..<colon.lowerBound] }
        return String(text)
    }
}
