// The passing runs of one bench scenario on one machine size: their captured values, and the
// facts every figure states (vCPUs, accelerator, QEMU version). Failed runs are kept as text,
// never as numbers.
import BenchReport
import Runner

public struct MeasuredRuns {
    public var scenario: String
    public var vcpus: Int
    public var accelerator: String
    public var qemuVersion: String
    /// Deterministic mode's `-icount shift=` ("none" in other runs).
    public var icountShift = "none"
    /// One dictionary per passing run (`ready.boot_ms`, `storm.per_s`, `ready.at_ms`, ...).
    public var captures: [[String: Int64]]
    /// The runs that failed, as "name (vCPUs) seed N: verdict".
    public var failures: [String] = []

    public init(scenario: String, vcpus: Int, accelerator: String, qemuVersion: String, captures: [[String: Int64]]) {
        self.scenario = scenario
        self.vcpus = vcpus
        self.accelerator = accelerator
        self.qemuVersion = qemuVersion
        self.captures = captures
    }

    /// Collects finished runs of one scenario at one size.
    public init(_ results: [RunResult], vcpus: Int) {
        let passed = results.filter { $0.verdict.status == .passed }
        let first = passed.first ?? results.first
        let property = { (name: String) in first?.properties.first { $0.name == name }?.value ?? "unknown" }
        self.init(
            scenario: first?.scenario.name ?? "none", vcpus: vcpus,
            // "tcg (the profile asks for it)" → "tcg" (QEMU runs it as tcg,thread=multi)
            accelerator: String(property("accelerator").split(separator: " ").first ?? "unknown"),
            qemuVersion: property("qemu.version"), captures: passed.map(\.captures))
        icountShift = first?.properties.first { $0.name == "icount.shift" }?.value ?? "none"
        failures = results.filter { $0.verdict.status != .passed }.map {
            "\($0.scenario.name) (\(vcpus) vCPUs) seed \($0.seed): \($0.verdict.status.rawValue): \($0.verdict.message)"
        }
    }

    /// Every passing run's value of `key`, times `scale`.
    public func values(_ key: String, scale: Double = 1) -> [Double] {
        captures.compactMap { $0[key] }.map { Double($0) * scale }
    }

    /// The median of `key` over the passing runs, nil when none captured it.
    public func median(_ key: String) -> Double? {
        let samples = values(key)
        return samples.isEmpty ? nil : Samples(samples).median
    }

    /// A figure from `key`, or nil when no run captured it.
    public func figure(
        _ group: String, _ name: String, unit: String, better: Figure.Better, key: String,
        scale: Double = 1, note: String? = nil
    ) -> Figure? {
        let samples = values(key, scale: scale)
        guard !samples.isEmpty else { return nil }
        return Figure(
            group: group, name: name, unit: unit, better: better, vcpus: vcpus, accelerator: accelerator,
            samples: samples, note: note)
    }
}
