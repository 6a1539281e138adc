// `trend:` on the real kernel's heartbeat: its uptime climbs (about 60,000 ms per host minute on
// an idle host, under half that on a loaded one, where the vCPUs get less time), which a leak
// bound must catch, while the idle heap stays flat; the plot stays with the artifacts.
import Foundation
import Runner
import Scenario
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct TrendEndToEndTests {
    private func scenario(uptimeBound: String) -> String {
        """
        machine: {vcpus: 2, cmdline: "heartbeat=200"}
        watchdogs: {silence: 20s, deadline: 90s}
        trend:
          pattern: "heartbeat:"
          after: "shell: ready"
          plot: memory.svg
          min-samples: 10
          slopes:
            uptime_ms: {\(uptimeBound)}
            heap.bytes: {at-most: 100000}
        steps:
          - wait-serial: {pattern: "shell: ready", within: 30s}
          - wait-serial: {pattern: "/^heartbeat: uptime_ms=[4-9][0-9]{3} /", within: 30s}
        expect: running
        """
    }

    private func artifactsFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("trend-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    private func property(_ result: RunResult, _ name: String) -> String? {
        result.properties.first { $0.name == name }?.value
    }

    @Test func aClimbPastItsBoundFailsTheRunAndIsPlotted() throws {
        let artifacts = artifactsFolder()
        defer { try? FileManager.default.removeItem(at: artifacts) }
        let result = try KernelScenario.run(scenario(uptimeBound: "at-most: 1000"), artifacts: artifacts)
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.message.hasPrefix("trend: uptime_ms slope "), "\(result.verdict.message)")
        #expect(!result.verdict.message.contains("heap.bytes"), "\(result.verdict.message)")
        let slope = try #require(property(result, "trend.uptime_ms.slope_per_min").flatMap(Double.init))
        #expect(slope > 1_000 && slope < 90_000, "guest milliseconds per host minute: \(slope)")
        let plot = try #require(property(result, "trend.plot"))
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.contains("uptime_ms: slope") && svg.contains("heap.bytes: slope"))
        #expect(FileManager.default.fileExists(atPath: "\(result.artifacts ?? "")/serial.log"))
    }

    @Test func aPassedRunKeepsOnlyItsPlot() throws {
        let artifacts = artifactsFolder()
        defer { try? FileManager.default.removeItem(at: artifacts) }
        let result = try KernelScenario.run(scenario(uptimeBound: "at-least: 1000"), artifacts: artifacts)
        #expect(result.verdict.status == .passed, "\(result.verdict)")
        let samples = try #require(property(result, "trend.samples").flatMap(Int.init))
        #expect(samples >= 10)
        #expect(property(result, "trend.heap.bytes.slope_per_min").flatMap(Double.init) == 0)
        let plot = try #require(property(result, "trend.plot"))
        let folder = URL(fileURLWithPath: plot).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["memory.svg"])
    }
}
