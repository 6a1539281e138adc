// Host starvation told from a guest freeze: the judgement over schedstat samples, and the
// samples read from a real process.
import Glibc
import HostSystem
import Testing

@testable import Runner

@Suite struct HostStarvationTests {
    private func sample(_ seconds: Double, runs: [UInt64], waits: [UInt64]) -> HostStarvation.Sample {
        HostStarvation.Sample(
            at: MonotonicInstant(nanoseconds: UInt64(seconds * 1e9)),
            threads: zip(runs, waits).enumerated().map { index, pair in
                ThreadSchedStat(
                    tid: Int32(100 + index), name: "CPU \(index)/TCG",
                    runNanoseconds: pair.0, waitNanoseconds: pair.1)
            })
    }

    @Test func aVCPUThreadRunnableButNotRunningIsNamedWithItsFigures() {
        // CPU 1 ran 10 ms of the last 500 ms and waited 450 ms: to its guest, a stopped CPU.
        let samples = [
            sample(10.0, runs: [0, 0], waits: [0, 0]),
            sample(10.6, runs: [300_000_000, 300_000_000], waits: [300_000_000, 300_000_000]),
            sample(11.1, runs: [550_000_000, 310_000_000], waits: [550_000_000, 750_000_000]),
        ]
        let judged = HostStarvation.judge(samples)
        #expect(judged?.starved == true)
        #expect(
            judged?.figures
                == "vCPU thread 'CPU 1/TCG' waited 450 ms on the host's run queue and ran 10 ms in 500 ms before the verdict")
    }

    @Test func slowButRunningVCPUsAreNotStarvation() {
        // Four vCPU threads on two cores: each waits about 60 % but runs the rest.
        let samples = [
            sample(10.0, runs: [0, 0], waits: [0, 0]),
            sample(11.0, runs: [400_000_000, 380_000_000], waits: [600_000_000, 620_000_000]),
        ]
        #expect(HostStarvation.judge(samples)?.starved == false)
        #expect(HostStarvation.judge([sample(10.0, runs: [0], waits: [0])]) == nil)
    }

    @Test func threadsOfALiveProcessAreRead() {
        let mine = ThreadSchedStat.threads(of: getpid()) { _ in true }
        #expect(!mine.isEmpty)
        #expect(mine.contains { $0.runNanoseconds > 0 })
        #expect(ThreadSchedStat.threads(of: 0x7fff_fff0) { _ in true }.isEmpty)
        #expect(
            HostStarvation.isVCPU("CPU 3/TCG") && HostStarvation.isVCPU("ALL CPUs/TCG")
                && !HostStarvation.isVCPU("qemu-system-x86"))
    }
}
