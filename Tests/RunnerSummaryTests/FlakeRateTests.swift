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
                "harness: flake rate storm: 2/4 (50.0 %, 95 % CI 15.0–85.0 %), seeds 2 4",
                "harness: flake rate boot: 0/2 (0.0 %, 95 % CI 0.0–65.8 %)",
                "harness: flake rate once: 1/1 (100.0 %, 95 % CI 20.7–100.0 %), seeds 7",
            ])
    }

    /// Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in
    /// Medicine 17:857-872, Table II, method 3 (Wilson score, no continuity correction), to four
    /// places; and the figures the issue names (0/10, 1/200, 5/10), from the same formula.
    @Test(arguments: [
        (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0), (0, 10, 0.0, 0.2775), (1, 200, 0.0009, 0.0278), (5, 10, 0.2366, 0.7634),
    ])
    func wilsonIntervalsMatchPublishedFigures(failed: Int, runs: Int, low: Double, high: Double) {
        let interval = FlakeRate.wilson(failed, of: runs)
        #expect(abs(interval.low - low) < 0.00005, "\(failed)/\(runs): low \(interval.low)")
        #expect(abs(interval.high - high) < 0.00005, "\(failed)/\(runs): high \(interval.high)")
    }

    @Test func cleanRunsToShowAFixAreTheLeastNWithMissProbabilityAtMostFivePercent() {
        // 1 in 200: (199/200)^598 = 0.04991, (199/200)^597 = 0.05016.
        #expect(FlakeRate(scenario: "s", runs: 200, failed: 1).cleanRunsToShowAFix == 598)
        #expect(FlakeRate(scenario: "s", runs: 10, failed: 5).cleanRunsToShowAFix == 5)  // 0.5^5 = 0.031
        #expect(FlakeRate(scenario: "s", runs: 10, failed: 0).cleanRunsToShowAFix == nil)
        #expect(FlakeRate(scenario: "s", runs: 3, failed: 3).cleanRunsToShowAFix == 1)
    }

    @Test func skippedRunsDoNotCountAndOnePassSaysNothing() throws {
        let s = try scenario("cut")
        #expect(Summary.flakeRates([run(s, seed: 1, attempt: 1, .passed), run(s, seed: 2, attempt: 2, .skipped)]).isEmpty)
    }
}
