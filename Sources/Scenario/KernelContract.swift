// What a kernel's exit statuses and lines mean, from its profile's `contract:` in profiles.yaml
// (ours: docs/kernel-interface.md). Every field is optional, and a missing one assumes nothing:
// a kernel whose profile says nothing gets only the generic checks (a panic is pvpanic's
// GUEST_PANICKED; KTAP is judged by its own results; no exit status is presumed).
import KernelSymbols
import Yams

public struct KernelContract: Equatable {
    /// `clean-exit`: QEMU's exit status when the kernel shut down cleanly (`expect: ktap` requires it).
    public var cleanExit: Int32?
    /// `panic-exit`: QEMU's exit status after a panic report (an expected panic requires it).
    public var panicExit: Int32?
    /// `panic-line`: a line that says the kernel panicked.
    public var panicLine: Pattern?
    /// `panic-report-end`: the last line of a panic report (else the report ends when it goes quiet).
    public var panicReportEnd: Pattern?
    /// `panic-halt.option`: the command-line word after which a panic halts every CPU for a
    /// debugger instead of exiting, and `panic-halt.line` the report's last line then.
    public var panicHaltOption: String?
    public var panicHaltedLine: Pattern?
    /// `panic-cpu-line`: a line of the panic report that accounts for one CPU (the panicking
    /// one's registers, another's stop); its first capture group is the CPU's number. An
    /// expected panic requires one for every vCPU of the machine.
    public var panicCPULine: Pattern?
    /// `cpus-online`: a line saying how many CPUs the kernel brought up, its first capture
    /// group the count; fewer than the machine's vCPUs gets a warning.
    public var cpusOnline: Pattern?
    /// `panic-lines`: more lines that say the kernel panicked, each a pattern or
    /// `{line: PATTERN, title: TEXT}` (`$1` in the title: the first capture group).
    public var extraPanicLines: [PanicLine] = []
    /// `panic-defaults: false` drops the built-in (Linux) panic lines: for a kernel that prints
    /// one of them without panicking (ours says "general protection fault" when it kills a
    /// user process).
    public var panicDefaults = true
    /// `ktap-option`: a word `expect: ktap` needs on the command line (ours: `ktest=`, which
    /// makes it run its tests), matched as a prefix of a word.
    public var ktapOption: String?
    /// `diagnosis-variables`: the kernel globals a hang diagnosis reads by symbol (docs/harness.md).
    public var diagnosisVariables: [String] = []
    /// `kaslr-offset`: a line from which the harness learns where a relocating kernel (KASLR)
    /// put itself; without one (or before it), symbols are taken at their linked addresses,
    /// which is right for a kernel that does not relocate or runs with `nokaslr`.
    public var kaslrOffset: KASLROffsetLine?

    /// `kaslr-offset: /PATTERN/` (its first group the offset, in hex: Linux's `Kernel Offset:
    /// 0x... from ...`), or `{line: /PATTERN/, symbol: NAME}` (its first group the running
    /// address of NAME, in hex: a line of /proc/kallsyms the guest prints).
    public struct KASLROffsetLine: Equatable {
        public var line: Pattern
        public var symbol: String?

        /// The offset `text` tells, if it is the line (nil when the symbol is not in `symbols`).
        public func offset(in text: String, symbols: SymbolMap?) -> UInt64? {
            guard var hex = line.firstCapture(in: text) else { return nil }
            if hex.hasPrefix("0x") { hex.removeFirst(2) }
            guard let value = UInt64(hex, radix: 16) else { return nil }
            guard let symbol else { return value }
            guard let linked = symbols?.sliding(by: 0).lookup(symbol) else { return nil }
            return value &- linked.address
        }
    }

    public init() {}

    public static let keys = [
        "clean-exit", "panic-exit", "panic-line", "panic-report-end", "panic-halt", "panic-cpu-line", "cpus-online",
        "panic-lines", "panic-defaults", "ktap-option", "diagnosis-variables", "kaslr-offset",
    ]

    /// Every line that says the kernel panicked: the profile's own, then the built-in ones
    /// unless it dropped them.
    public var panicLines: [PanicLine] { extraPanicLines + (panicDefaults ? PanicLine.builtIn : []) }

    /// Whether `commandLine` has the word `expect: ktap` needs (true when the contract names none).
    public func ktapEnabled(by commandLine: String) -> Bool {
        guard let option = ktapOption else { return true }
        return commandLine.split(separator: " ").contains { $0.hasPrefix(option) }
    }

    /// Whether a kernel given `commandLine` halts after a panic instead of exiting.
    public func haltsAfterPanic(_ commandLine: String) -> Bool {
        guard let option = panicHaltOption else { return false }
        return commandLine.split(separator: " ").contains { $0 == option }
    }

    /// The CPU number a panic-report line accounts for, if it is one.
    public func panicCPU(in line: String) -> Int? {
        panicCPULine?.firstCapture(in: line).flatMap { Int($0) }
    }

    /// How many CPUs `line` says the kernel brought up, if it says so.
    public func onlineCPUs(in line: String) -> Int? {
        cpusOnline?.firstCapture(in: line).flatMap { Int($0) }
    }

    /// `contract:` of a profile.
    static func parse(_ node: Node, reader: YAMLReader) throws -> KernelContract {
        let fields = try reader.mapping(node, "contract")
        try fields.check(allowed: keys)
        var contract = KernelContract()
        contract.cleanExit = try fields["clean-exit"].map { Int32(try reader.integer($0, "contract.clean-exit", range: 0...255)) }
        contract.panicExit = try fields["panic-exit"].map { Int32(try reader.integer($0, "contract.panic-exit", range: 0...255)) }
        contract.panicLine = try fields["panic-line"].map { try reader.pattern($0, "contract.panic-line") }
        contract.panicReportEnd = try fields["panic-report-end"].map { try reader.pattern($0, "contract.panic-report-end") }
        if let halt = fields["panic-halt"] {
            let mapping = try reader.mapping(halt, "contract.panic-halt")
            try mapping.check(allowed: ["option", "line"])
            contract.panicHaltOption = try reader.string(try mapping.required("option"), "contract.panic-halt.option")
            contract.panicHaltedLine = try reader.pattern(try mapping.required("line"), "contract.panic-halt.line")
        }
        contract.panicCPULine = try fields["panic-cpu-line"].map {
            try numberPattern($0, "contract.panic-cpu-line", counting: "the CPU number", reader: reader)
        }
        contract.cpusOnline = try fields["cpus-online"].map {
            try numberPattern($0, "contract.cpus-online", counting: "the count of CPUs brought up", reader: reader)
        }
        contract.extraPanicLines =
            try fields["panic-lines"].map { node in
                try reader.sequence(node, "contract.panic-lines").map { try panicLine($0, reader: reader) }
            } ?? []
        contract.panicDefaults = try fields["panic-defaults"].map { try reader.bool($0, "contract.panic-defaults") } ?? true
        contract.ktapOption = try fields["ktap-option"].map { try reader.string($0, "contract.ktap-option") }
        contract.diagnosisVariables =
            try fields["diagnosis-variables"].map { node in
                try reader.sequence(node, "contract.diagnosis-variables").map {
                    try reader.string($0, "each name of contract.diagnosis-variables")
                }
            } ?? []
        contract.kaslrOffset = try fields["kaslr-offset"].map { try kaslrOffsetLine($0, reader: reader) }
        return contract
    }

    /// `kaslr-offset`: a pattern, or `{line, symbol}`; its first group a hexadecimal number.
    private static func kaslrOffsetLine(_ node: Node, reader: YAMLReader) throws -> KASLROffsetLine {
        var symbol: String?
        var lineNode = node
        if case .mapping = node {
            let entry = try reader.mapping(node, "contract.kaslr-offset")
            try entry.check(allowed: ["line", "symbol"])
            lineNode = try entry.required("line")
            symbol = try entry["symbol"].map { try reader.string($0, "contract.kaslr-offset.symbol") }
        }
        let what = symbol.map { "the running address of \($0) in hex" } ?? "the offset in hex"
        let line = try numberPattern(lineNode, "contract.kaslr-offset", counting: what, reader: reader)
        return KASLROffsetLine(line: line, symbol: symbol)
    }

    /// One entry of `panic-lines`: a pattern (its title the pattern's text), or `{line, title}`.
    private static func panicLine(_ node: Node, reader: YAMLReader) throws -> PanicLine {
        if case .mapping = node {
            let entry = try reader.mapping(node, "each entry of contract.panic-lines")
            try entry.check(allowed: ["line", "title"])
            let line = try reader.pattern(try entry.required("line"), "contract.panic-lines line")
            let title = try entry["title"].map { try reader.string($0, "contract.panic-lines title") } ?? line.source
            return try PanicLine(line.source, title: title)
        }
        let line = try reader.pattern(node, "each entry of contract.panic-lines")
        return try PanicLine(line.source, title: line.source)
    }

    /// A `/regular expression/` whose first capture group is a number.
    private static func numberPattern(_ node: Node, _ key: String, counting what: String, reader: YAMLReader) throws -> Pattern {
        let pattern = try reader.pattern(node, key)
        guard pattern.isRegularExpression, pattern.source.contains("(") else {
            throw reader.error(node, "\(key) must be a /regular expression/ whose first group is \(what)")
        }
        return pattern
    }
}
