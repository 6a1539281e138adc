import QEMUMachine
import Runner
// The flake-rate lines printed after repeated runs: a rate and the failing seeds per scenario.
import Testing

@testable import Scenario

@Suite struct FlakeRateTests {
    private func scenario(_ name: String) throws -> Scenario {
        var machine = MachineProfile()
        machine.kernel = "/k.img"
        return try ScenarioParser.parse(
            "expect: running\n", file: "scenarios/\(name).yaml",
            profiles: ProfileLibrary(profiles: ["default": .init(machine: machine, never: [])], file: nil))
    }

    private func run(_ s: Scenario, seed: UInt64, attempt: Int, _ status: Verdict.Status) -> RunResult {
        RunResult(
            scenario: s, seed: seed, attempt: attempt,
            verdict: Verdict(status, status == .passed ? .expected : .hang, "x"), duration: 1, rerunCommand: "x")
    }

    @Test func repeatedScenariosGetARateAndTheirFailingSeeds() throws {
        let storm = try scenario("storm")
        let boot = try scenario("boot")
        let once = try scenario("once")
        let results = [
            run(storm, seed: 1, attempt: 1, .passed), run(storm, seed: 2, attempt: 2, .error),
            run(storm, seed: 3, attempt: 3, .passed), run(storm, seed: 4, attempt: 4, .failed),
            run(boot, seed: 5, attempt: 1, .passed), run(boot, seed: 6, attempt: 2, .passed),
            run(once, seed: 7, attempt: 1, .failed),
        ]
        let lines = Summary.flakeRates(results)
        #expect(
            lines == [
                "harness: flake rate storm: 2/4 runs failed (50.0%), seeds 2 4",
                "harness: flake rate boot: 0/2 runs failed (0.0%)",
            ])
    }

    @Test func skippedRunsDoNotCount() throws {
        let s = try scenario("cut")
        #expect(Summary.flakeRates([run(s, seed: 1, attempt: 1, .passed), run(s, seed: 2, attempt: 2, .skipped)]).isEmpty)
    }
}
