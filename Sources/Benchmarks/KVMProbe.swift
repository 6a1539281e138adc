// KVM, tried honestly: one short run of our kernel and one of the Linux peer under `-accel kvm`,
// and a note of what happened. (On our build machines /dev/kvm opens, but our kernel stops at
// its first SSE instruction, see scenarios/profiles.yaml.)
import Foundation
import QEMUMachine
import Runner

public enum KVMProbe {
    /// Seconds a probe may take before it counts as not working.
    static let deadline = 30.0

    public static func run(_ bench: VMBench, peer: Bool) throws -> [String] {
        var probes = [("our kernel", "kernel-spawn")]
        if peer { probes.append(("Linux", "linux-peer")) }
        return try probes.map { who, name in
            let scenario = try bench.scenario(name).variant(vcpus: 4, accelerator: .kvm, deadline: deadline)
            guard let result = bench.run(scenario, count: 1, label: "\(who) under KVM").first else {
                return "KVM, \(who): not run"
            }
            if result.verdict.isSuccess {
                let figures = result.captures.filter { $0.key.hasSuffix("per_s") || $0.key.hasSuffix("at_ms") }
                    .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                return "KVM, \(who): works (one run, 4 vCPUs: \(figures)); not repeated, so not in the table"
            }
            let reason = result.verdict.message
            let detail = result.verdict.details.first { $0.contains("run state") || $0.contains("KVM") } ?? ""
            return "KVM: not available for \(who) (\(reason)\(detail.isEmpty ? "" : "; \(detail)")); figures are TCG only"
        }
    }
}
