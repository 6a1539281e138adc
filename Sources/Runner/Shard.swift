// Which of N disjoint parts of the run plan this harness runs: from `--shard K/N`, from Bazel's
// test sharding variables, or from a Kubernetes Indexed Job's completion index with the total
// given by `--shard-count`. RunPlan decides which runs belong to which part.
import Foundation

public struct Shard: Equatable, CustomStringConvertible {
    /// 0-based: the first shard is 0 (Bazel's and Kubernetes' numbering); people see `index + 1`.
    public let index: Int
    public let count: Int
    /// Where the shard came from, for messages: `--shard`, Bazel's variables, `JOB_COMPLETION_INDEX`.
    public let source: String

    /// The most shards a plan is split into: far more machines than any run needs, small enough
    /// that every shard can keep a load figure per shard.
    public static let maximumCount = 10_000

    public init(index: Int, count: Int, source: String) {
        self.index = index
        self.count = count
        self.source = source
    }

    /// `K/N`, 1-based, as people and the report say it.
    public var description: String { "\(index + 1)/\(count)" }

    /// A bad shard, naming the flag or variable it came from and why it is refused.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public let source: String
        public let reason: String
        public var description: String { "\(source): \(reason)" }
    }

    public static let bazelTotal = "TEST_TOTAL_SHARDS"
    public static let bazelIndex = "TEST_SHARD_INDEX"
    public static let bazelStatusFile = "TEST_SHARD_STATUS_FILE"
    public static let kubernetesIndex = "JOB_COMPLETION_INDEX"

    /// The shard asked for, or nil for the whole plan. Flags first (`--shard K/N`, or
    /// `--shard-count N` with the `JOB_COMPLETION_INDEX` a Kubernetes Indexed Job sets), then
    /// Bazel's `TEST_TOTAL_SHARDS`/`TEST_SHARD_INDEX`. A `JOB_COMPLETION_INDEX` without
    /// `--shard-count` is not a request to shard (every Indexed Job pod has one).
    public static func resolve(flag: String?, countFlag: Int?, environment: [String: String]) throws -> Shard? {
        if let flag {
            guard countFlag == nil else {
                throw Problem(source: "--shard-count", reason: "give either --shard K/N or --shard-count N, not both")
            }
            return try parse(flag)
        }
        if let countFlag {
            let source = "--shard-count \(countFlag)"
            guard (1...maximumCount).contains(countFlag) else {
                throw Problem(source: "--shard-count", reason: "must be from 1 to \(maximumCount), not \(countFlag)")
            }
            guard let text = environment[kubernetesIndex] else {
                throw Problem(
                    source: source,
                    reason:
                        "\(kubernetesIndex) is not set (a Kubernetes Indexed Job sets it in each pod; elsewhere use --shard K/N)"
                )
            }
            guard let index = Int(text.trimmingCharacters(in: .whitespaces)), index >= 0 else {
                throw Problem(source: "\(kubernetesIndex)=\(text)", reason: "not a number from 0 (the job's completion index)")
            }
            guard index < countFlag else {
                throw Problem(
                    source: "\(kubernetesIndex)=\(text)",
                    reason: "must be below \(source) (indexes count from 0: set completions to the same N)")
            }
            return Shard(index: index, count: countFlag, source: kubernetesIndex)
        }
        let total = environment[bazelTotal]
        let index = environment[bazelIndex]
        guard total != nil || index != nil else { return nil }
        guard let total else {
            throw Problem(source: "\(bazelIndex)=\(index!)", reason: "\(bazelTotal) is not set (Bazel sets both)")
        }
        guard let index else {
            throw Problem(source: "\(bazelTotal)=\(total)", reason: "\(bazelIndex) is not set (Bazel sets both)")
        }
        guard let count = Int(total), (1...maximumCount).contains(count) else {
            throw Problem(source: "\(bazelTotal)=\(total)", reason: "must be a number from 1 to \(maximumCount)")
        }
        guard let number = Int(index), number >= 0 else {
            throw Problem(source: "\(bazelIndex)=\(index)", reason: "not a number from 0")
        }
        guard number < count else {
            throw Problem(
                source: "\(bazelIndex)=\(index)", reason: "must be below \(bazelTotal)=\(total) (indexes count from 0)")
        }
        return Shard(index: number, count: count, source: "\(bazelTotal)/\(bazelIndex)")
    }

    /// `K/N` with 1 ≤ K ≤ N, as `--shard` takes it.
    public static func parse(_ text: String, source: String = "--shard") throws -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw Problem(source: "\(source) '\(text)'", reason: "expected K/N, the K-th of N shards (e.g. 1/4)")
        }
        guard (1...maximumCount).contains(n) else {
            throw Problem(source: "\(source) '\(text)'", reason: "N must be from 1 to \(maximumCount)")
        }
        guard (1...n).contains(k) else {
            throw Problem(source: "\(source) '\(text)'", reason: "K must be from 1 to \(n) (shards are numbered from 1)")
        }
        return Shard(index: k - 1, count: n, source: source)
    }

    /// The file Bazel asks a sharding test to touch to show it shards (set only by Bazel; touched
    /// only when the shard came from Bazel's variables).
    public func bazelStatusFile(in environment: [String: String]) -> String? {
        guard source == "\(Self.bazelTotal)/\(Self.bazelIndex)" else { return nil }
        return environment[Self.bazelStatusFile].flatMap { $0.isEmpty ? nil : $0 }
    }
}
