// The run plan and its shards: every run in exactly one shard, with the seed the unsharded plan
// gives it, however the plan is cut (counts, recorded durations, exclusive scenarios, unbounded).
import QEMUMachine
import Runner
import Testing

@testable import Scenario

@Suite struct RunPlanTests {
    private func scenario(_ name: String, exclusive: Bool = false) throws -> Scenario {
        var machine = MachineProfile()
        machine.kernel = "/k.img"
        return try ScenarioParser.parse(
            (exclusive ? "tags: [exclusive]\n" : "") + "expect: running\n", file: "scenarios/\(name).yaml",
            profiles: ProfileLibrary(profiles: ["default": .init(machine: machine, never: [])], file: nil))
    }

    private func entries(_ plan: RunPlan, limit: Int = 100_000) -> [RunPlan.Entry] {
        var cursor = plan.makeCursor()
        var list: [RunPlan.Entry] = []
        while list.count < limit, let entry = cursor.next() { list.append(entry) }
        return list
    }

    /// The plan cut into `count` shards: each shard's entries.
    private func shards(_ plan: RunPlan, count: Int, limit: Int = 100_000) -> [[RunPlan.Entry]] {
        (0..<count).map { index in
            var part = plan
            part.shard = Shard(index: index, count: count, source: "test")
            return entries(part, limit: limit)
        }
    }

    @Test func shardsAreDisjointAndTogetherTheWholePlanWithItsSeeds() throws {
        // Deterministic variety: scenario counts, rounds, shard counts, some exclusive, with and
        // without recorded durations (some scenarios missing from the record).
        var generator = SplitMix(state: 20)
        let names = (0..<13).map { "s\($0)" }
        var checked = 0
        for scenarioCount in [1, 2, 3, 5, 8, 13] {
            let scenarios = try names.prefix(scenarioCount).enumerated().map {
                try scenario($0.element, exclusive: $0.offset % 4 == 1)
            }
            for rounds in [1, 2, 5] {
                for count in [1, 2, 3, 4, 7, 16] {
                    for withDurations in [false, true] {
                        var plan = RunPlan(
                            scenarios: scenarios, seed: nil, seedBase: 99, rounds: rounds, untilFailure: false)
                        if withDurations {
                            for (index, name) in names.prefix(scenarioCount).enumerated() where index % 3 != 2 {
                                plan.durations[name] = Double(generator.next() % 600_000) / 1000
                            }
                        }
                        let whole = entries(plan)
                        #expect(whole.count == rounds * scenarioCount)
                        #expect(whole.map(\.index) == Array(0..<whole.count))
                        let parts = shards(plan, count: count)
                        let union = parts.joined().sorted { $0.index < $1.index }
                        #expect(union == whole, "\(scenarioCount) scenarios × \(rounds), \(count) shards")
                        for (index, part) in parts.enumerated() {
                            var sharded = plan
                            sharded.shard = Shard(index: index, count: count, source: "test")
                            #expect(sharded.shardRuns == part.count)
                            // Each shard runs its part in plan order.
                            #expect(part.map(\.index) == part.map(\.index).sorted())
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == 6 * 3 * 6 * 2)
    }

    @Test func seedsDependOnTheBaseTheScenarioAndTheRoundOnly() throws {
        let scenarios = try ["a", "b", "c"].map { try scenario($0) }
        let plan = RunPlan(scenarios: scenarios, seed: nil, seedBase: 5, rounds: 4, untilFailure: false)
        let seeds = entries(plan).map(\.seed)
        #expect(Set(seeds).count == 12)
        #expect(seeds.allSatisfy { $0 >= 1 && $0 < 1 << 53 })
        // The same scenarios in another order keep their seeds; another base changes them all.
        let reordered = RunPlan(scenarios: scenarios.reversed(), seed: nil, seedBase: 5, rounds: 4, untilFailure: false)
        let byName = { (plan: RunPlan) in
            Dictionary(
                uniqueKeysWithValues: self.entries(plan).map {
                    ("\(plan.scenarios[$0.scenarioIndex].name)#\($0.attempt)", $0.seed)
                })
        }
        #expect(byName(plan) == byName(reordered))
        let other = RunPlan(scenarios: scenarios, seed: nil, seedBase: 6, rounds: 4, untilFailure: false)
        #expect(Set(entries(other).map(\.seed)).isDisjoint(with: seeds))
        // --seed fixes every run's seed, sharded or not.
        var fixed = RunPlan(scenarios: scenarios, seed: 42, seedBase: 5, rounds: 2, untilFailure: false)
        fixed.shard = Shard(index: 1, count: 2, source: "test")
        #expect(entries(fixed).allSatisfy { $0.seed == 42 })
    }

    @Test func withoutDurationsShardsDifferByAtMostOneRunAndExclusiveOnesAreSpread() throws {
        let scenarios = try (0..<10).map { try scenario("s\($0)", exclusive: $0 < 3) }
        let plan = RunPlan(scenarios: scenarios, seed: nil, seedBase: 1, rounds: 3, untilFailure: false)
        let parts = shards(plan, count: 4)
        let sizes = parts.map(\.count)
        #expect(sizes.max()! - sizes.min()! <= 1, "\(sizes)")
        // 9 exclusive runs over 4 shards: 2 or 3 each, not piled on one machine.
        let exclusive = parts.map { $0.filter { $0.scenarioIndex < 3 }.count }
        #expect(exclusive.max()! - exclusive.min()! <= 1, "\(exclusive)")
    }

    @Test func recordedDurationsBalanceTheShardsLoads() throws {
        // One long scenario and many short ones: by count a shard would get the long one and as
        // many short ones as the others; by time the long one's shard gets fewer.
        let scenarios = try (0..<9).map { try scenario("s\($0)") }
        var plan = RunPlan(scenarios: scenarios, seed: nil, seedBase: 1, rounds: 1, untilFailure: false)
        plan.durations = ["s0": 80]
        for index in 1..<9 { plan.durations["s\(index)"] = 10 }
        let parts = shards(plan, count: 2)
        let load = parts.map { $0.reduce(0.0) { $0 + plan.durations[plan.scenarios[$1.scenarioIndex].name]! } }
        #expect(load.sorted() == [80, 80], "\(load)")
        #expect(parts[0].map(\.scenarioIndex) == [0], "the longest first, onto shard 1")
        // A greedy bound whatever the weights: no shard exceeds the mean by more than the longest run.
        var generator = SplitMix(state: 7)
        for _ in 0..<50 {
            var random = plan
            for index in 0..<9 { random.durations["s\(index)"] = Double(generator.next() % 100_000) / 1000 + 0.001 }
            let cut = shards(random, count: 3)
            let loads = cut.map { $0.reduce(0.0) { $0 + random.durations[random.scenarios[$1.scenarioIndex].name]! } }
            let mean = loads.reduce(0, +) / 3
            #expect(loads.max()! <= mean + random.durations.values.max()! + 0.01, "\(loads)")
        }
    }

    @Test func anUnboundedHuntIsCutRoundByRound() throws {
        let scenarios = try ["a", "b", "c"].map { try scenario($0) }
        let plan = RunPlan(scenarios: scenarios, seed: nil, seedBase: 3, rounds: nil, untilFailure: true)
        #expect(plan.totalRuns == nil && plan.shardRuns == nil)
        let whole = entries(plan, limit: 60)
        let parts = shards(plan, count: 4, limit: 15)
        #expect(parts.allSatisfy { $0.count == 15 })
        #expect(parts.joined().sorted { $0.index < $1.index } == whole)
    }

    @Test func aShardsRunsCarryTheShardAndTheirPlaceInThePlan() throws {
        let scenarios = try ["a", "b"].map { try scenario($0) }
        var plan = RunPlan(scenarios: scenarios, seed: nil, seedBase: 3, rounds: 2, untilFailure: false)
        let entry = plan.entry(round: 1, scenarioIndex: 1)
        #expect(plan.properties(for: entry).isEmpty)
        plan.shard = Shard(index: 2, count: 3, source: "--shard")
        let properties = plan.properties(for: entry).map { "\($0.name)=\($0.value)" }
        #expect(properties == ["shard=3/3", "plan.index=3", "plan.runs=4"])
        var counts = Summary.counts([Verdict.Status]())
        counts.passed = 2
        counts.failed = 1
        #expect(Summary.closingLine(counts, shard: plan.shard) == "harness: 2 passed, 1 failed (shard 3/3)")
    }
}

/// A small seeded generator, so the checks above are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
