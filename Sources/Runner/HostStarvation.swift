// Telling the host's starvation from the guest's freeze. A vCPU thread waiting on the host's run
// queue looks to its guest like a CPU that stopped: with `make bench` beside it,
// storm/work-stealing once ended as "cross-call deadline missed cpu=2". The harness samples the
// run-queue delay of QEMU's vCPU threads (/proc/PID/task/TID/schedstat) as serial lines arrive
// (at most every 100 ms, never on a timer) and once more at the verdict. A span between two
// samples, in the second before the verdict, where a vCPU thread was runnable (waited half of
// it or more) yet ran less than a tenth of it marks the run host-starved, with the figures.
// (Four busy vCPU threads on two cores wait about 60 % of the time each but run the rest in
// millisecond slices: the guest sees slow CPUs, not stopped ones, and that is not flagged.)
import Glibc
import HostSystem

final class HostStarvation {
    static let sampleInterval = 0.1
    /// The span before the verdict that is examined.
    static let window = 1.0
    static let samplesKept = 64

    struct Sample {
        let at: MonotonicInstant
        let threads: [ThreadSchedStat]
    }

    private let pid: pid_t
    private(set) var samples: [Sample] = []

    init(pid: pid_t) { self.pid = pid }

    /// vCPU threads as QEMU names them: `CPU 2/TCG`, `CPU 0/KVM`, `ALL CPUs/TCG` (one thread).
    static func isVCPU(_ name: String) -> Bool { name.hasPrefix("CPU ") || name.hasPrefix("ALL CPUs") }

    /// Samples if the last sample is older than `sampleInterval`.
    func sample(now: MonotonicInstant = .now) {
        if let last = samples.last, now.seconds(since: last.at) < Self.sampleInterval { return }
        record(now: now)
    }

    private func record(now: MonotonicInstant) {
        let threads = ThreadSchedStat.threads(of: pid, where: Self.isVCPU)
        guard !threads.isEmpty else { return }
        samples.append(Sample(at: now, threads: threads))
        // Keep the newest, but always one at least a window old.
        while samples.count > Self.samplesKept, now.seconds(since: samples[1].at) >= Self.window { samples.removeFirst() }
        if samples.count > Self.samplesKept * 4 { samples.removeFirst(samples.count - Self.samplesKept * 4) }
    }

    /// At the verdict: the worst vCPU thread's wait before it, and whether that is starvation.
    func verdict(now: MonotonicInstant = .now) -> (starved: Bool, figures: String)? {
        record(now: now)
        return Self.judge(samples)
    }

    /// Looks at the spans between consecutive samples in the last `window` before the verdict:
    /// a vCPU thread that was runnable most of a span (waited half of it or more on the run
    /// queue) yet ran less than a tenth of it looked, to its guest, like a CPU that stopped.
    /// Returns the span where a vCPU thread waited longest, and whether it was such a span.
    static func judge(_ samples: [Sample]) -> (starved: Bool, figures: String)? {
        guard let last = samples.last else { return nil }
        // From the last sample before the window (so the span reaching into it counts) onward.
        let start = samples.lastIndex { last.at.seconds(since: $0.at) > window } ?? 0
        let examined = samples[start...]
        let pairs = zip(examined, examined.dropFirst())
        var worst: (starved: Bool, name: String, waited: Double, ran: Double, span: Double)?
        for (before, after) in pairs {
            let span = after.at.seconds(since: before.at)
            guard span > 0 else { continue }
            for thread in after.threads {
                guard let old = before.threads.first(where: { $0.tid == thread.tid }) else { continue }
                let waited = Double(thread.waitNanoseconds &- old.waitNanoseconds) / 1e9
                let ran = Double(thread.runNanoseconds &- old.runNanoseconds) / 1e9
                let starved = span >= minimumSpan && waited >= span * waitShare && ran < span * runShare
                if worst == nil || (starved && worst?.starved == false) || (starved == worst?.starved && waited > worst!.waited) {
                    worst = (starved, thread.name, waited, ran, span)
                }
            }
        }
        guard let worst else { return nil }
        return (
            worst.starved,
            "vCPU thread '\(worst.name)' waited \(Int(worst.waited * 1000)) ms on the host's run queue and ran \(Int(worst.ran * 1000)) ms in \(Int(worst.span * 1000)) ms before the verdict"
        )
    }

    /// A span shorter than this says too little (a guest deadline is hundreds of ms).
    static let minimumSpan = 0.1
    static let waitShare = 0.5
    static let runShare = 0.1
}
