// Tests that end the machine on purpose: each must end in a `KERNEL PANIC:` report with a
// backtrace, never in a hang. Selected only by name (`ktest=crash.oom_heap`).
import Hardware

enum CrashTests {
    static let suite = KernelTestSuite(
        name: "crash", explicitOnly: true,
        tests: [
            KernelTest(name: "oom_heap") { t in
                // Swift arrays kept alive until the runtime allocator runs dry.
                var hoard: [[UInt64]] = []
                while true {
                    hoard.append([UInt64](repeating: UInt64(hoard.count), count: 8192))
                }
            },
            KernelTest(name: "stack_overflow") { t in
                t.expect(recurse(1) == 0, "unbounded recursion returned")
            },
            KernelTest(name: "swift_trap") { t in
                var x = Int.max - Int(Clock.millisecondsSinceBoot & 1)
                x += 2  // overflow: ud2
                t.expect(x == 0, "overflow did not trap")
            },
            KernelTest(name: "halted_cpu") { t in
                // One CPU spins with interrupts off; a call that needs it must end in the clean
                // "unresponsive" panic, not a freeze.
                guard CPUs.onlineCount > 1 else {
                    t.expect(false, "needs at least two CPUs")
                    return
                }
                let victim = CPUs.onlineCount - 1
                Console.line {
                    $0.text("crash: halting CPU ")
                    $0.dec(victim)
                    $0.text(" with interrupts off")
                }
                CrossCall.run(on: 1 << UInt64(victim), haltWithInterruptsOff, 0, waitForCompletion: false)
                CrossCall.runOnOthers(doNothing, 0)
                t.expect(false, "the cross-call to a halted CPU returned")
            },
            KernelTest(name: "oom_on_ap") { t in
                // An AP runs the heap dry while the boot CPU keeps every CPU busy with cross-calls:
                // the AP's panic must still stop the whole machine, with a report from each CPU.
                guard CPUs.onlineCount > 1 else {
                    t.expect(false, "needs at least two CPUs")
                    return
                }
                Scheduler.spawn(hoarder, 0, on: 1, pinned: true)
                while true { CrossCall.runOnOthers(doNothing, 0) }
            },
            KernelTest(name: "null_dereference") { t in
                let p = UnsafeMutablePointer<UInt64>(bitPattern: UInt(Clock.millisecondsSinceBoot & 1) + 8)!
                t.expect(p.pointee == 0, "null page readable")
            },
        ])

    @inline(never)
    static func recurse(_ depth: Int) -> Int {
        var pad: InlineArray<64, UInt64> = .init(repeating: UInt64(depth))
        let r = recurse(depth + 1)
        return withUnsafeMutablePointer(to: &pad) { $0.withMemoryRebound(to: UInt64.self, capacity: 1) { $0.pointee } }
            &+ UInt64(r) == 0 ? 1 : 0
    }
}

let doNothing: CrossCallFunction = { _ in }

/// Keeps Swift arrays alive until the runtime allocator runs dry (on whichever CPU it runs).
let hoarder: TaskEntry = { _ in
    var hoard: [[UInt64]] = []
    while true { hoard.append([UInt64](repeating: UInt64(hoard.count), count: 8192)) }
}
