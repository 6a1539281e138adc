// One figure of `make bench`: what was measured, in which unit, on which machine configuration,
// from how many repetitions, and how it compares with the Linux peer and with its target.

public struct Figure: Codable, Equatable {
    public enum Better: String, Codable { case higher, lower }

    /// The peer's value of the same figure, and ours against it.
    public struct Peer: Codable, Equatable {
        public var name: String
        public var median: Double
        /// How many times better ours is (>1: ours is better), whatever the direction.
        public var ratio: Double
    }

    /// What the issue asks of this figure, and whether the median meets it.
    public struct Target: Codable, Equatable {
        public var text: String
        public var met: Bool
    }

    /// "kernel", "host allocator", "harness", "Linux peer".
    public var group: String
    public var name: String
    public var unit: String
    public var better: Better
    public var vcpus: Int?
    /// As QEMU was run ("tcg,thread=multi"), or "host" for figures taken outside QEMU.
    public var accelerator: String
    public var samples: Samples
    public var peer: Peer?
    public var target: Target?
    public var note: String?

    public init(
        group: String, name: String, unit: String, better: Better, vcpus: Int? = nil,
        accelerator: String, samples: [Double], note: String? = nil
    ) {
        self.group = group
        self.name = name
        self.unit = unit
        self.better = better
        self.vcpus = vcpus
        self.accelerator = accelerator
        self.samples = Samples(samples)
        self.note = note
    }

    public var median: Double { samples.median }

    /// Ours against a peer's median: peer/ours for times, ours/peer for rates.
    public mutating func compare(with name: String, median peerMedian: Double) {
        let ratio = better == .higher ? median / peerMedian : peerMedian / median
        peer = Peer(name: name, median: peerMedian, ratio: ratio)
    }

    /// Sets the target "at least `factor`× the peer" (needs `compare` first).
    public mutating func requireRatio(atLeast factor: Double) {
        guard let peer else { return }
        target = Target(text: "≥ \(Format.number(factor))× \(peer.name)", met: peer.ratio >= factor)
    }

    /// Sets the target "median below `limit` (in this figure's unit)".
    public mutating func requireMedian(below limit: Double) {
        target = Target(text: "< \(Format.number(limit)) \(unit)", met: median < limit)
    }
}
