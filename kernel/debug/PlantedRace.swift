// `debug=race`: a planted interleaving bug, the proof that the harness's deterministic mode
// finds and replays what ordinary runs hit by luck. A writer (pinned to CPU 1) publishes a
// two-word record with no lock and no sequence count: word 0, a `pause` (the short wait a
// driver polling a device makes), word 1. A reader (pinned to CPU 2) checks once per tick that
// the words agree. A torn read needs the check to land in the writer's window of a few
// instructions out of every ~20,000: rare when the vCPUs run in parallel. On QEMU's single
// icount thread a `pause` ends the writer's turn inside the window, so the reader, woken by a
// tick, finds it torn; its seed then replays the same tear.
import Hardware
import Synchronization

enum PlantedRace {
    static let word0 = Atomic<UInt64>(0)
    static let word1 = Atomic<UInt64>(0)
    static let finished = Atomic<Bool>(false)
    static let checks = Atomic<UInt64>(0)
    static let tornAt = Atomic<UInt64>(0)
    /// Work between two publications, so the window is a small part of the writer's time.
    static let workPerRecord = 20_000
    static let records: UInt64 = 2_000

    static func run() {
        Console.line("debug: race start")
        let last = max(1, CPUs.count - 1)
        ThreadBatch.run(count: 2, raceThread, pinned: true, on: { min($0 + 1, last) })
        let torn = tornAt.load(ordering: .relaxed)
        if torn != 0 {
            Console.line { l in
                l.text("race: torn record=")
                l.dec(torn)
                l.text(" checks=")
                l.dec(checks.load(ordering: .relaxed))
            }
            panic("race: torn read of the published record")
        }
        Console.line { l in
            l.text("debug: race done torn=0 checks=")
            l.dec(checks.load(ordering: .relaxed))
        }
    }

    fileprivate static func write() {
        var x: UInt64 = 1
        for record in 1...records {
            for _ in 0..<workPerRecord { x = x &* Speedup.step.load(ordering: .relaxed) &+ 1 }
            word0.store(record, ordering: .relaxed)
            cpu_pause()
            word1.store(record, ordering: .relaxed)
        }
        if x == 1 { Console.line("race: improbable value") }
        finished.store(true, ordering: .releasing)
    }

    fileprivate static func read() {
        while !finished.load(ordering: .acquiring) {
            _ = TickWait.wait(milliseconds: 1) { false }
            let first = word0.load(ordering: .relaxed)
            let second = word1.load(ordering: .relaxed)
            checks.wrappingAdd(1, ordering: .relaxed)
            if first != second && tornAt.load(ordering: .relaxed) == 0 { tornAt.store(first, ordering: .relaxed) }
        }
    }
}

private let raceThread: TaskEntry = { which in
    if which == 0 { PlantedRace.write() } else { PlantedRace.read() }
    ThreadBatch.finishOne()
}
