// `make bench`'s measurement plan: which parts run, in which order, and what each contributes to
// the report. Each part is one file of this module with one `measure` call here; a new figure
// is a new file and one more call below.
import BenchReport
import Foundation
import HostSystem
import QEMUMachine

/// What one part of the bench contributes: rows of the table and notes under it.
public struct Measured {
    public var figures: [Figure] = []
    public var notes: [String] = []

    public init(figures: [Figure] = [], notes: [String] = []) {
        self.figures = figures
        self.notes = notes
    }

    public static func += (lhs: inout Measured, rhs: Measured) {
        lhs.figures += rhs.figures
        lhs.notes += rhs.notes
    }
}

public struct BenchPlan {
    /// The parts `--only` can pick.
    public static let parts = ["kernel", "deterministic", "kvm", "harness", "suite", "host"]

    /// Runs of each VM figure (median, min and max come from these).
    public var repetitions = 5
    /// VMs at once for the harness's peak-memory figure.
    public var vms = 4
    /// The bench scenarios' folder.
    public var scenarios = "scenarios/bench"
    /// The `make test` suite's folder, for scenarios per minute ("" skips it).
    public var suite = "scenarios"
    /// heap-bench's JSON figures ("" for none).
    public var hostAllocatorFigures = "build/bench/heap.json"
    /// The peer kernel's package and version, written by `make peer`.
    public var peerInfo = "build/peer/linux.txt"
    /// Parts to measure; empty for all.
    public var only: [String] = []
    /// Where the runs' artifacts go.
    public var artifacts = "build/bench/artifacts"

    public init() {}

    func measures(_ part: String) -> Bool { only.isEmpty || only.contains(part) }

    /// Measures every part asked for and returns the report, with failed runs in its notes, and
    /// whether any run failed.
    public func run() throws -> (report: BenchReport, failed: Bool) {
        let started = MonotonicInstant.now
        let loadAtStart = HostFacts.loadAverage
        QEMUMachine.removeAbandonedSocketDirectories()
        let bench = VMBench(folder: scenarios, repetitions: repetitions, artifacts: artifacts)
        let peer = (try? String(contentsOfFile: peerInfo, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        var measured = Measured()
        if peer == nil { measured.notes.append("Linux peer: not built (\(peerInfo) missing; `make peer`); no peer figures") }

        var kernel = KernelMeasurementsByVCPUs()
        if measures("kernel") {
            kernel = try KernelFigures.measure(bench, withPeer: peer != nil)
            measured += kernel.measured
        }
        if measures("deterministic") { measured += try DeterministicFigures.measure(bench) }
        if measures("kvm") { measured.notes += try KVMProbe.run(bench, peer: peer != nil) }
        let accelerator = kernel.accelerator
        if measures("harness") { measured += try HarnessFigures.measure(bench, vms: vms, accelerator: accelerator) }
        if !suite.isEmpty && measures("suite") {
            measured += HarnessFigures.measureSuite(bench, folder: suite, accelerator: accelerator)
        }
        if !hostAllocatorFigures.isEmpty && measures("host") { measured += HostAllocatorFigures.load(hostAllocatorFigures) }

        measured.notes += bench.failures.map { "failed run, left out of the figures: " + $0 }
        measured.notes.append(
            "The machine is shared: compare the load averages above with its \(HostFacts.cores) cores; "
                + "a load above the core count means the figures were taken under load.")
        let report = BenchReport(
            date: ISO8601DateFormatter().string(from: Date()),
            machine: .init(
                cpuModel: HostFacts.cpuModel, cores: HostFacts.cores, qemuVersion: kernel.qemuVersion,
                loadAverageAtStart: loadAtStart, loadAverageAtEnd: HostFacts.loadAverage),
            repetitions: repetitions, peer: peer, figures: measured.figures, notes: measured.notes,
            elapsedSeconds: MonotonicInstant.now.seconds(since: started))
        return (report, !bench.failures.isEmpty)
    }
}
