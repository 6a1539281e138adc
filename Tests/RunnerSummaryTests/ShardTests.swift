// Where the shard comes from: `--shard K/N`, Bazel's TEST_TOTAL_SHARDS/TEST_SHARD_INDEX, or a
// Kubernetes Indexed Job's JOB_COMPLETION_INDEX with --shard-count; a bad value names its source.
import Runner
import Testing

@Suite struct ShardTests {
    private func problem(flag: String? = nil, count: Int? = nil, _ environment: [String: String] = [:]) -> String? {
        do {
            _ = try Shard.resolve(flag: flag, countFlag: count, environment: environment)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theFlagIsOneBasedAndWinsOverTheEnvironment() throws {
        let bazel = ["TEST_TOTAL_SHARDS": "4", "TEST_SHARD_INDEX": "0"]
        let shard = try #require(try Shard.resolve(flag: "2/3", countFlag: nil, environment: bazel))
        #expect(shard.index == 1 && shard.count == 3 && shard.description == "2/3" && shard.source == "--shard")
        #expect(shard.bazelStatusFile(in: bazel.merging(["TEST_SHARD_STATUS_FILE": "/tmp/s"]) { $1 }) == nil)
        #expect(try Shard.resolve(flag: nil, countFlag: nil, environment: ["JOB_COMPLETION_INDEX": "3"]) == nil)
        #expect(try Shard.resolve(flag: nil, countFlag: nil, environment: [:]) == nil)
    }

    @Test func badFlagsNameTheFlagAndTheReason() {
        #expect(problem(flag: "0/3") == "--shard '0/3': K must be from 1 to 3 (shards are numbered from 1)")
        #expect(problem(flag: "4/3") == "--shard '4/3': K must be from 1 to 3 (shards are numbered from 1)")
        #expect(problem(flag: "1/0") == "--shard '1/0': N must be from 1 to 10000")
        #expect(problem(flag: "one/3") == "--shard 'one/3': expected K/N, the K-th of N shards (e.g. 1/4)")
        #expect(problem(flag: "2") == "--shard '2': expected K/N, the K-th of N shards (e.g. 1/4)")
        #expect(problem(flag: "1/2/3") == "--shard '1/2/3': expected K/N, the K-th of N shards (e.g. 1/4)")
        #expect(problem(flag: "1/2", count: 2) == "--shard-count: give either --shard K/N or --shard-count N, not both")
    }

    @Test func bazelsVariablesAreZeroBasedAndItsStatusFileIsNamed() throws {
        let environment = ["TEST_TOTAL_SHARDS": "3", "TEST_SHARD_INDEX": "2", "TEST_SHARD_STATUS_FILE": "/tmp/status"]
        let shard = try #require(try Shard.resolve(flag: nil, countFlag: nil, environment: environment))
        #expect(shard.description == "3/3" && shard.source == "TEST_TOTAL_SHARDS/TEST_SHARD_INDEX")
        #expect(shard.bazelStatusFile(in: environment) == "/tmp/status")
        #expect(
            problem(["TEST_TOTAL_SHARDS": "3", "TEST_SHARD_INDEX": "3"])
                == "TEST_SHARD_INDEX=3: must be below TEST_TOTAL_SHARDS=3 (indexes count from 0)")
        #expect(problem(["TEST_TOTAL_SHARDS": "3"]) == "TEST_TOTAL_SHARDS=3: TEST_SHARD_INDEX is not set (Bazel sets both)")
        #expect(problem(["TEST_SHARD_INDEX": "1"]) == "TEST_SHARD_INDEX=1: TEST_TOTAL_SHARDS is not set (Bazel sets both)")
        #expect(
            problem(["TEST_TOTAL_SHARDS": "zero", "TEST_SHARD_INDEX": "0"])
                == "TEST_TOTAL_SHARDS=zero: must be a number from 1 to 10000")
        #expect(problem(["TEST_TOTAL_SHARDS": "2", "TEST_SHARD_INDEX": "-1"]) == "TEST_SHARD_INDEX=-1: not a number from 0")
    }

    @Test func aKubernetesIndexedJobGivesTheIndexAndTheFlagTheTotal() throws {
        let shard = try #require(try Shard.resolve(flag: nil, countFlag: 4, environment: ["JOB_COMPLETION_INDEX": "0"]))
        #expect(shard.description == "1/4" && shard.source == "JOB_COMPLETION_INDEX")
        #expect(shard.bazelStatusFile(in: ["TEST_SHARD_STATUS_FILE": "/tmp/s"]) == nil)
        #expect(
            problem(count: 4)
                == "--shard-count 4: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it in each pod; elsewhere use --shard K/N)"
        )
        #expect(
            problem(count: 4, ["JOB_COMPLETION_INDEX": "4"])
                == "JOB_COMPLETION_INDEX=4: must be below --shard-count 4 (indexes count from 0: set completions to the same N)")
        #expect(
            problem(count: 4, ["JOB_COMPLETION_INDEX": "x"])
                == "JOB_COMPLETION_INDEX=x: not a number from 0 (the job's completion index)")
        #expect(problem(count: 0, ["JOB_COMPLETION_INDEX": "0"]) == "--shard-count: must be from 1 to 10000, not 0")
    }
}
