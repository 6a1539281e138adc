// Which shard runs each scenario of each round: greedy, longest first onto the least-loaded
// shard, round after round with the loads carried over, so an unbounded plan
// (--until-failure) is partitioned as it goes. Exclusive scenarios (which stop every other VM of
// their machine) are placed first and spread by their own load. Integers and fixed tie-breaks
// only: every machine computes the same assignment from the same weights.

public struct ShardPartition {
    /// Per scenario: its weight (recorded milliseconds, or 1 each to spread by count) and
    /// whether it is exclusive.
    public let weights: [Int]
    public let exclusive: [Bool]
    public let shardCount: Int
    /// The order scenarios are placed in each round: exclusive first, then heaviest first, then
    /// plan order.
    private let placementOrder: [Int]
    private var load: [Int]
    private var exclusiveLoad: [Int]

    public init(weights: [Int], exclusive: [Bool], shardCount: Int) {
        precondition(weights.count == exclusive.count && shardCount >= 1)
        self.weights = weights.map { max(1, $0) }
        self.exclusive = exclusive
        self.shardCount = shardCount
        load = Array(repeating: 0, count: shardCount)
        exclusiveLoad = load
        let weights = self.weights
        placementOrder = weights.indices.sorted { a, b in
            if exclusive[a] != exclusive[b] { return exclusive[a] }
            if weights[a] != weights[b] { return weights[a] > weights[b] }
            return a < b
        }
    }

    /// The shard (0-based) of each scenario in the next round.
    public mutating func nextRound() -> [Int] {
        var assignment = Array(repeating: 0, count: weights.count)
        for scenario in placementOrder {
            var best = 0
            for shard in 1..<shardCount where isLighter(shard, than: best, exclusive: exclusive[scenario]) {
                best = shard
            }
            assignment[scenario] = best
            load[best] += weights[scenario]
            if exclusive[scenario] { exclusiveLoad[best] += weights[scenario] }
        }
        return assignment
    }

    /// Ties go to the lower shard number (the caller walks upward and keeps the first best).
    private func isLighter(_ shard: Int, than best: Int, exclusive: Bool) -> Bool {
        if exclusive && exclusiveLoad[shard] != exclusiveLoad[best] { return exclusiveLoad[shard] < exclusiveLoad[best] }
        return load[shard] < load[best]
    }
}
