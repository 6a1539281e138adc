// `gdb:` steps in scenario files. Symbols are checked against the kernel image before anything
// boots, so a misspelt name is a file:line error, not a failed run.
import KernelSymbols
import QEMUMachine
import Yams

extension ScenarioParser {
    /// `gdb: stop | continue | step`, or a mapping with one of `break`, `read`, `write`.
    static func parseGDBStep(_ body: Node, reader: YAMLReader, captures: inout Set<String>) throws -> GDBStep {
        if case .scalar = body {
            switch try reader.string(body, "gdb") {
            case "stop": return .stop
            case "continue": return .resume
            case "step": return .step
            case let other:
                throw reader.error(
                    body, "gdb must be stop, continue, step, or a mapping with break, read or write; not '\(other)'")
            }
        }
        let fields = try reader.mapping(body, "gdb")
        if let symbol = fields["break"] {
            try fields.check(allowed: ["break", "within", "hardware"])
            return .breakAt(
                symbol: try reader.string(symbol, "gdb.break"),
                hardware: try fields["hardware"].map { try reader.bool($0, "gdb.hardware") } ?? true,
                within: try fields["within"].map { try reader.duration($0, "gdb.within") })
        }
        if let symbol = fields["read"] {
            try fields.check(allowed: ["read", "as"])
            let name = try reader.string(try fields.required("as"), "gdb.as")
            guard !name.isEmpty, !name.contains(" "), !name.contains(".") else {
                throw reader.error(fields["as"], "gdb.as must be one word")
            }
            captures.insert(name)
            return .read(symbol: try reader.string(symbol, "gdb.read"), as: name)
        }
        if let symbol = fields["write"] {
            try fields.check(allowed: ["write", "index", "value"])
            let value = try reader.integer(try fields.required("value"), "gdb.value")
            return .write(
                symbol: try reader.string(symbol, "gdb.write"),
                index: Int(try fields["index"].map { try reader.integer($0, "gdb.index", range: 0...4095) } ?? 0),
                value: UInt64(bitPattern: value))
        }
        throw reader.error(body, "gdb takes one of break, read, write (or stop, continue, step)")
    }

    /// Every `gdb:` step's symbol must be in the kernel image's symbol table.
    static func checkGDBSymbols(_ steps: [Located<Step>], machine: MachineProfile, file: String) throws {
        let kernel = machine.kernel
        let named = steps.compactMap { step -> (String, Int)? in
            guard case .gdb(let gdb) = step.value, let symbol = gdb.symbol else { return nil }
            return (symbol, step.line)
        }
        guard let (first, firstLine) = named.first else { return }
        guard let kernel, let symbols = SymbolMapCache.shared.map(forImage: kernel, symbols: machine.symbols) else {
            let looked =
                machine.symbols.map { "in its machine.symbols \($0)" }
                ?? "(machine.symbols names none: the image itself when it is ELF64, else the same path with .elf for its last extension)"
            throw ScenarioError(
                file: file, line: firstLine,
                reason: "gdb step names \(first), but no symbols were found for \(kernel ?? "the kernel") \(looked)")
        }
        for (symbol, line) in named where symbols.lookup(symbol) == nil {
            throw ScenarioError(
                file: file, line: line,
                reason:
                    "the kernel image has no symbol '\(symbol)' (names as llvm-nm | swift-demangle shows them: Kernel.CPUs.count, Scheduler.idleLoop())"
            )
        }
    }
}
