// A profile's `contract.cpus-online` reads how many CPUs the guest brought up; fewer than asked for is a
// warning with the run (and in its JUnit case), never a verdict. Our kernel takes at most 16.
import Foundation
import Runner
import Scenario
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct CPUCountWarningEndToEndTests {
    func run(vcpus: Int, cpusOnline: String?) throws -> RunResult {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        default:
          kernel: \(KernelScenario.kernelImage)
          accel: tcg
          memory: 128M
        \(cpusOnline.map { "  contract: {cpus-online: \"\($0)\"}" } ?? "")
        """.write(to: folder.appendingPathComponent("profiles.yaml"), atomically: true, encoding: .utf8)
        let file = folder.appendingPathComponent("cpus.yaml")
        try """
        machine: {vcpus: \(vcpus)}
        steps:
          - wait-serial: {pattern: "shell: ready", within: 60s}
          - send-serial: "shutdown"
        expect: {exit: 33}
        """.write(to: file, atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.artifactsDirectory = folder.appendingPathComponent("artifacts").path
        let scenario = try KernelScenario.parse(file: file.path)
        return ScenarioRun(RunRequest(scenario: scenario, seed: 5, attempt: 1), options: options).execute()
    }

    @Test func aGuestBringingUpFewerCPUsThanAskedIsWarnedAbout() throws {
        let result = try run(vcpus: 17, cpusOnline: "/^smp: ([0-9]+) CPUs online/")
        #expect(result.verdict.isSuccess, "\(result.verdict)")
        #expect(
            result.warnings == [
                "the guest reports 16 CPUs online, 17 asked for (its profile's contract.cpus-online: /^smp: ([0-9]+) CPUs online/)"
            ])
        #expect(result.properties.contains { $0.name == "cpus.online" && $0.value == "16" })
    }

    @Test func withoutTheProfileKeyThereIsNoCheck() throws {
        let result = try run(vcpus: 17, cpusOnline: nil)
        #expect(result.verdict.isSuccess, "\(result.verdict)")
        #expect(result.warnings.isEmpty)
        #expect(!result.properties.contains { $0.name == "cpus.online" })
    }
}
