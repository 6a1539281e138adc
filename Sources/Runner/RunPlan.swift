// The run plan as one value: every scenario × round (`--repeat`, `--until-failure`), each run's
// seed, and which shard runs it. Everything here is computed from the plan's inputs alone, so N
// machines given the same scenarios, flags and `--seed-base` split it into N disjoint parts that
// together are exactly the unsharded plan, with the same seeds.
import Foundation
import Scenario

public struct RunPlan {
    public var scenarios: [Scenario]
    /// `--seed`: one seed for every run; nil derives each run's seed from `seedBase`.
    public var seed: UInt64?
    /// Each run's seed is derived from this, the scenario's name and the round: the same on
    /// every machine (`--seed-base`), a fresh random one when not given.
    public var seedBase: UInt64
    /// Rounds over the scenarios; nil is unbounded (`--until-failure` without `--repeat`).
    public var rounds: Int?
    /// Stop handing out runs after the first failure (a sharded hunt stops at its own shard's).
    public var untilFailure: Bool
    /// The part of the plan this harness runs; nil for all of it.
    public var shard: Shard?
    /// Seconds a run of each scenario took in an earlier report (`--durations`), by name: the
    /// shards are balanced by them; without any, by count.
    public var durations: [String: Double] = [:]

    /// One run of the plan.
    public struct Entry: Equatable {
        /// Its place in the whole (unsharded) plan: round × scenarios + the scenario's place.
        public let index: Int
        public let scenarioIndex: Int
        /// 1-based round (`name #2` in the report).
        public let attempt: Int
        public let seed: UInt64
    }

    public init(
        scenarios: [Scenario], seed: UInt64?, seedBase: UInt64? = nil, rounds: Int?, untilFailure: Bool,
        shard: Shard? = nil, durations: [String: Double] = [:]
    ) {
        self.scenarios = scenarios
        self.seed = seed
        self.seedBase = seedBase ?? RunPlan.randomSeed()
        self.rounds = rounds
        self.untilFailure = untilFailure
        self.shard = shard
        self.durations = durations
    }

    /// The command line's words: `--repeat N` rounds, or with `--until-failure` at most
    /// `repeatLimit` rounds (unbounded when nil).
    public init(scenarios: [Scenario], seed: UInt64?, repeatCount: Int, untilFailure: Bool, repeatLimit: Int?) {
        self.init(scenarios: scenarios, seed: seed, rounds: untilFailure ? repeatLimit : repeatCount, untilFailure: untilFailure)
    }

    /// Runs in the whole plan; nil when unbounded.
    public var totalRuns: Int? { rounds.map { $0 * scenarios.count } }

    /// Runs in this shard's part (all of them unsharded); nil when unbounded.
    public var shardRuns: Int? {
        guard let rounds else { return nil }
        guard let shard else { return rounds * scenarios.count }
        var partition = makePartition(shardCount: shard.count)
        return (0..<rounds).reduce(0) { sum, _ in sum + partition.nextRound().filter { $0 == shard.index }.count }
    }

    /// This shard's runs in plan order, computed as they are taken (an unbounded plan never ends).
    public func makeCursor() -> Cursor { Cursor(plan: self) }

    public struct Cursor {
        private let plan: RunPlan
        private var partition: ShardPartition?
        private var round = 0
        private var pending: [Int] = []

        init(plan: RunPlan) {
            self.plan = plan
            partition = plan.shard.map { plan.makePartition(shardCount: $0.count) }
        }

        public mutating func next() -> Entry? {
            let count = plan.scenarios.count
            while pending.isEmpty {
                guard count > 0, plan.rounds.map({ round < $0 }) ?? true else { return nil }
                if var partition, let shard = plan.shard {
                    let assignment = partition.nextRound()
                    self.partition = partition
                    pending = (0..<count).filter { assignment[$0] == shard.index }
                } else {
                    pending = Array(0..<count)
                }
                pending.reverse()
                round += 1
            }
            let scenarioIndex = pending.removeLast()
            return plan.entry(round: round - 1, scenarioIndex: scenarioIndex)
        }
    }

    /// The run of a scenario in a 0-based round, whichever shard runs it.
    public func entry(round: Int, scenarioIndex: Int) -> Entry {
        let seed = self.seed ?? Self.derivedSeed(base: seedBase, scenario: scenarios[scenarioIndex].name, round: round)
        return Entry(
            index: round * scenarios.count + scenarioIndex, scenarioIndex: scenarioIndex, attempt: round + 1, seed: seed)
    }

    /// Weights in milliseconds from `durations`; a scenario the earlier report lacks weighs
    /// what the recorded ones do on average. Without durations every run weighs 1 (by count).
    func makePartition(shardCount: Int) -> ShardPartition {
        let recorded = scenarios.map { durations[$0.name].map { Int(($0 * 1000).rounded()) } }
        let known = recorded.compactMap { $0 }
        let fallback = known.isEmpty ? 1 : known.reduce(0, +) / known.count
        return ShardPartition(
            weights: recorded.map { $0 ?? fallback }, exclusive: scenarios.map(\.isExclusive), shardCount: shardCount)
    }

    /// A seed below 2^53 (so it survives any JSON or spreadsheet it passes through), from 1.
    public static func randomSeed() -> UInt64 { UInt64.random(in: 1..<(1 << 53)) }

    /// The seed of a scenario's run in a round: SplitMix64 over the base, an FNV-1a hash of the
    /// scenario's name and the round; from 1 to 2^53 - 1.
    public static func derivedSeed(base: UInt64, scenario name: String, round: Int) -> UInt64 {
        var nameHash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            nameHash ^= UInt64(byte)
            nameHash &*= 0x100_0000_01b3
        }
        let mixed = splitMix(base ^ splitMix(nameHash ^ splitMix(UInt64(round))))
        return mixed % ((1 << 53) - 1) + 1
    }

    private static func splitMix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// What a sharded run's report says of each run: which shard ran it and where it sits in the
    /// whole plan (so a merge can tell a missing run from one never planned).
    public func properties(for entry: Entry) -> [(name: String, value: String)] {
        guard let shard else { return [] }
        var list: [(name: String, value: String)] = [("shard", shard.description), ("plan.index", String(entry.index))]
        if let totalRuns { list.append(("plan.runs", String(totalRuns))) }
        return list
    }
}
