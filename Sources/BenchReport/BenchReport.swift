// The whole of a `make bench` run: the machine it ran on, every figure, and notes; written as
// build/bench.json and as the Markdown table of build/bench.md and docs/performance.md.
import Foundation

public struct BenchReport: Codable, Equatable {
    public struct Machine: Codable, Equatable {
        /// /proc/cpuinfo's "model name".
        public var cpuModel: String
        public var cores: Int
        public var qemuVersion: String
        /// /proc/loadavg (1, 5, 15 minutes) when the run started and when it ended: other
        /// work on the machine shows here.
        public var loadAverageAtStart: [Double]
        public var loadAverageAtEnd: [Double]

        public init(cpuModel: String, cores: Int, qemuVersion: String, loadAverageAtStart: [Double], loadAverageAtEnd: [Double]) {
            self.cpuModel = cpuModel
            self.cores = cores
            self.qemuVersion = qemuVersion
            self.loadAverageAtStart = loadAverageAtStart
            self.loadAverageAtEnd = loadAverageAtEnd
        }
    }

    /// ISO 8601, UTC.
    public var date: String
    public var machine: Machine
    /// Repetitions of each VM figure (each figure also states its own count).
    public var repetitions: Int
    /// The peer kernel's package and version.
    public var peer: String?
    public var figures: [Figure]
    /// What could not be measured and why, and anything else a reader must know.
    public var notes: [String]
    public var elapsedSeconds: Double

    public init(
        date: String, machine: Machine, repetitions: Int, peer: String?, figures: [Figure],
        notes: [String], elapsedSeconds: Double
    ) {
        self.date = date
        self.machine = machine
        self.repetitions = repetitions
        self.peer = peer
        self.figures = figures
        self.notes = notes
        self.elapsedSeconds = elapsedSeconds
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> BenchReport {
        try JSONDecoder().decode(BenchReport.self, from: data)
    }

    /// The machine lines and one table row per figure, in the order measured.
    public func markdown() -> String {
        let load = { (values: [Double]) in values.map { Format.number($0) }.joined(separator: " ") }
        var text = """
            `make bench` of \(date): \(machine.cpuModel), \(machine.cores) cores, QEMU \(machine.qemuVersion); \
            load average \(load(machine.loadAverageAtStart)) at the start, \(load(machine.loadAverageAtEnd)) at the end; \
            \(Format.number(elapsedSeconds)) s in all.\(peer.map { " Peer: Debian \($0)." } ?? "")

            | group | figure | vCPUs | accel | median | min – max | spread | runs | unit | peer | ours vs peer | target |
            |---|---|---|---|---|---|---|---|---|---|---|---|

            """
        for figure in figures {
            text +=
                "| " + Self.cells(figure).map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
        }
        if !notes.isEmpty { text += "\n" + notes.map { "- " + $0 }.joined(separator: "\n") + "\n" }
        return text
    }

    private static func cells(_ figure: Figure) -> [String] {
        var cells: [String] = [figure.group]
        cells.append(figure.name + (figure.note.map { " (\($0))" } ?? ""))
        cells.append(figure.vcpus.map(String.init) ?? "")
        cells.append(figure.accelerator)
        cells.append(Format.number(figure.median))
        cells.append(Format.number(figure.samples.minimum) + " – " + Format.number(figure.samples.maximum))
        cells.append(figure.samples.count < 2 ? "" : Format.number(figure.samples.spreadPercent) + " %")
        cells.append(String(figure.samples.count))
        cells.append(figure.unit)
        if let peer = figure.peer {
            cells.append("\(peer.name) \(Format.number(peer.median))")
            cells.append(Format.number(peer.ratio) + "×")
        } else {
            cells += ["", ""]
        }
        if let target = figure.target {
            cells.append(target.text + (target.met ? ": met" : ": NOT met"))
        } else {
            cells.append("")
        }
        return cells
    }
}
