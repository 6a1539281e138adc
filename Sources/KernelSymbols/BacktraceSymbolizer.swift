// Backtraces the guest printed with raw addresses, symbolized on the host as Linux's
// scripts/decode_stacktrace.sh and syzkaller do: each code address gets `(symbol+0xoff)` right
// after it. Our kernel prints `  #3 0x0000000000123456` and `rip=0x...`; a Linux built without
// kallsyms prints ` [<ffffffff81234567>]` or ` ? 0xffffffff81234567`. Only addresses a symbol
// covers are touched: a register full of data stays as printed.

public struct BacktraceSymbolizer {
    public let symbols: SymbolMap

    public init(symbols: SymbolMap) { self.symbols = symbols }

    /// Where a code address sits in a line, and whether it is a return address (a frame of a
    /// walk), which is looked up one byte back: a call at a function's very end returns past it.
    private let forms: [(regex: Regex<(Substring, Substring)>, isReturnAddress: Bool)] = [
        // `#3 0x...` (ours), `#3 ffffffff...`
        (try! Regex(#"#[0-9]+ +((?:0x)?[0-9a-fA-F]{6,16})\b"#, as: (Substring, Substring).self), true),
        // `[<ffffffff81234567>]` (Linux without kallsyms, and older Linux)
        (try! Regex(#"\[<([0-9a-fA-F]{8,16})>\]"#, as: (Substring, Substring).self), true),
        // ` ? 0xffffffff81234567` or ` 0xffffffff81234567` alone on a line, after any `[  1.2]`
        // timestamps (Linux's %pS without kallsyms)
        (try! Regex(#"^(?:\[[ 0-9.]+\])*\s*(?:\? )?(0x[0-9a-fA-F]{8,16})\s*$"#, as: (Substring, Substring).self), true),
        // `rip=0x...`, `RIP: 0010:0x...`, `pc 0x...`: where a CPU was, looked up as is
        (
            try! Regex(
                #"(?i)\b(?:rip|pc)(?:=|: ?| )(?:[0-9a-f]{4}:)?((?:0x)?[0-9a-fA-F]{6,16})\b"#, as: (Substring, Substring).self),
            false
        ),
    ]

    /// `line` with `(symbol+0xoff)` after every code address it holds, or nil when it holds none.
    public func symbolize(_ line: String) -> String? {
        var insertions: [(at: String.Index, text: String)] = []
        for form in forms {
            for match in line.matches(of: form.regex) {
                // After the whole form: `[<ffffffff81234567>] (panic+0x23)`.
                let end = match.range.upperBound
                guard insertions.allSatisfy({ $0.at != end }),
                    let name = describe(match.output.1, isReturnAddress: form.isReturnAddress)
                else { continue }
                insertions.append((end, " (\(name))"))
            }
        }
        guard !insertions.isEmpty else { return nil }
        var text = line
        for insertion in insertions.sorted(by: { $0.at > $1.at }) { text.insert(contentsOf: insertion.text, at: insertion.at) }
        return text
    }

    /// Every line, symbolized where it holds code addresses, and how many lines changed.
    public func symbolize(lines: [String]) -> (lines: [String], changed: Int) {
        var changed = 0
        let out = lines.map { line -> String in
            guard let symbolized = symbolize(line) else { return line }
            changed += 1
            return symbolized
        }
        return (out, changed)
    }

    /// `name+0xoff` for the address `token` spells, if a symbol covers it.
    private func describe(_ token: Substring, isReturnAddress: Bool) -> String? {
        let digits = token.hasPrefix("0x") || token.hasPrefix("0X") ? token.dropFirst(2) : token
        guard let address = UInt64(digits, radix: 16), address != 0 else { return nil }
        guard let symbol = symbols.symbol(containing: isReturnAddress ? address - 1 : address) else { return nil }
        let name = SwiftDemangler.simplified(symbol.name)
        let offset = address &- symbol.address
        return offset == 0 ? name : "\(name)+0x\(String(offset, radix: 16))"
    }
}
