// What a kernel's exit statuses and lines mean, from its profile's `contract:` in profiles.yaml
// (ours: docs/kernel-interface.md). Every field is optional, and a missing one assumes nothing:
// a kernel whose profile says nothing gets only the generic checks (a panic is pvpanic's
// GUEST_PANICKED; KTAP is judged by its own results; no exit status is presumed).
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

    public init() {}

    public static let keys = [
        "clean-exit", "panic-exit", "panic-line", "panic-report-end", "panic-halt", "panic-cpu-line", "cpus-online",
    ]

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
        return contract
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
