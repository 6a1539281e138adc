import BenchReport
import Benchmarks
// The bench report from values captured in a real `make bench` run (2-core build machine, TCG):
// statistics, ratios against the peer, targets, and the shapes of the JSON and the table.
import Foundation
import Testing

@Suite struct BenchReportTests {
    /// Captures of three bench/kernel-spawn runs and three bench/linux-peer runs at 4 vCPUs.
    static let ours = MeasuredRuns(
        scenario: "bench-kernel-spawn", vcpus: 4, accelerator: "tcg", qemuVersion: "7.2.22",
        captures: [
            ["ready.at_ms": 179, "ready.boot_ms": 41, "smp.bringup_ms": 8, "storm.per_s": 3257, "storm.failures": 0],
            ["ready.at_ms": 205, "ready.boot_ms": 52, "smp.bringup_ms": 23, "storm.per_s": 5173, "storm.failures": 0],
            ["ready.at_ms": 188, "ready.boot_ms": 37, "smp.bringup_ms": 7, "storm.per_s": 4410, "storm.failures": 0],
        ])
    static let linux = MeasuredRuns(
        scenario: "bench-linux-peer", vcpus: 4, accelerator: "tcg", qemuVersion: "7.2.22",
        captures: [
            ["init.at_ms": 5187, "init.uptime_ms": 3080, "spawn.per_s": 88],
            ["init.at_ms": 6912, "init.uptime_ms": 4340, "spawn.per_s": 89],
            ["init.at_ms": 5808, "init.uptime_ms": 3670],
        ])

    @Test func medianMinimumAndMaximum() {
        #expect(Samples([3257, 5173, 4410]).median == 4410)
        #expect(Samples([3, 1, 4, 2]).median == 2.5, "an even count takes the mean of the middle two")
        #expect(Samples([3257, 5173, 4410]).minimum == 3257)
        #expect(Samples([3257, 5173, 4410]).maximum == 5173)
        #expect(Samples([]).median.isNaN)
    }

    @Test func spreadIsTheRangeOverTheMedian() {
        let expected: Double = (5173.0 - 3257.0) / 4410.0 * 100.0
        #expect(Samples([3257, 5173, 4410]).spreadPercent == expected)
        #expect(Samples([1487, 1487, 1487, 1487, 1487]).spreadPercent == 0, "identical runs spread 0 %")
        #expect(Samples([0, 0]).spreadPercent == 0)
        #expect(Samples([]).spreadPercent.isNaN)
    }

    @Test func ratiosFavourOursInEitherDirection() throws {
        var spawn = try #require(Self.ours.figure("kernel", "spawn", unit: "per s", better: .higher, key: "storm.per_s"))
        spawn.compare(with: "Linux", median: try #require(Self.linux.median("spawn.per_s")))
        #expect(spawn.peer?.median == 88.5, "the run without a spawn line counts for nothing")
        #expect(abs((spawn.peer?.ratio ?? 0) - 4410 / 88.5) < 1e-9, "rates: ours over theirs")
        spawn.requireRatio(atLeast: 10)
        #expect(spawn.target?.met == true)

        var boot = try #require(Self.ours.figure("kernel", "boot", unit: "ms", better: .lower, key: "ready.at_ms"))
        boot.compare(with: "Linux", median: try #require(Self.linux.median("init.at_ms")))
        #expect(abs((boot.peer?.ratio ?? 0) - 5808.0 / 188) < 1e-9, "times: theirs over ours")
        boot.requireRatio(atLeast: 80)
        #expect(boot.target?.met == false)
        #expect(boot.target?.text == "≥ 80.0× Linux")
    }

    @Test func kernelFiguresCompareWithThePeerAtTheSameSize() throws {
        let measured = KernelMeasurements(
            vcpus: 4, spawn: Self.ours, churn: Self.ours, heap: Self.ours, contextSwitch: Self.ours,
            ipi: nil, stealing: Self.ours, peer: Self.linux)
        let figures = KernelFigures.figures(measured)
        let spawn = try #require(figures.first { $0.name.hasPrefix("spawn + exit + wait") })
        #expect(spawn.vcpus == 4 && spawn.samples.count == 3 && spawn.median == 4410)
        #expect(spawn.target?.text == "≥ 10.0× Linux")
        let bring = try #require(figures.first { $0.name == "AP bring-up" })
        #expect(bring.samples.values == [8, 23, 7])
        #expect(!figures.contains { $0.name.hasPrefix("IPI") }, "no IPI figure without its runs")
        #expect(figures.contains { $0.group == "Linux peer" && $0.name.hasPrefix("fork + exec + wait") && $0.samples.count == 2 })
    }

    @Test func jsonCarriesEveryFactAndReadsBack() throws {
        var spawn = try #require(Self.ours.figure("kernel", "spawn", unit: "per s", better: .higher, key: "storm.per_s"))
        spawn.compare(with: "Linux", median: 88.5)
        let report = BenchReport(
            date: "2026-11-24T22:00:00Z",
            machine: .init(
                cpuModel: "Intel(R) Xeon(R) Processor", cores: 2, qemuVersion: "7.2.22",
                loadAverageAtStart: [3.65, 2.61, 2.5], loadAverageAtEnd: [7.11, 4.14, 3.06]),
            repetitions: 3, peer: "linux-image-6.1.0-56-cloud-amd64 6.1.192-2", figures: [spawn],
            notes: ["KVM: not available"], elapsedSeconds: 101)
        let data = try report.json()
        #expect(try BenchReport.decode(data) == report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let machine = try #require(object["machine"] as? [String: Any])
        #expect(machine["qemuVersion"] as? String == "7.2.22")
        #expect((machine["loadAverageAtStart"] as? [Double])?.count == 3)
        let figure = try #require((object["figures"] as? [[String: Any]])?.first)
        for key in ["group", "name", "unit", "better", "vcpus", "accelerator", "samples", "peer"] {
            #expect(figure[key] != nil, "figure has \(key)")
        }

        let table = report.markdown()
        #expect(table.contains("| kernel | spawn | 4 | tcg | 4410 | 3257 – 5173 | 43.4 % | 3 | per s | Linux 88.5 | 49.8× |  |"))
        #expect(table.contains("load average 3.65 2.61 2.50 at the start"))
        #expect(table.contains("- KVM: not available"))
    }
}
