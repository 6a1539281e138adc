// Time from the TSC, calibrated once against the PIT's channel 2 (which needs no interrupt).
import Hardware

enum Clock {
    nonisolated(unsafe) static var ticksPerMillisecond: UInt64 = 1_000_000

    /// Measures the TSC rate over 5 ms of PIT time until two measurements agree (or takes the
    /// median of five). Called once on the boot CPU. One measurement alone was trusted before:
    /// on a loaded host the vCPU thread could be descheduled while the PIT ran out, the window
    /// read 20× too long, and every kernel deadline (the 500 ms cross-call one included) came
    /// 20× late (halted-ap-ktest: no "unresponsive" within 10 s; boot_ms=19 against 400 ms).
    static func calibrate() {
        var samples = AgreeingSamples()
        while true {
            if let rate = samples.add(measureTicksPerMillisecond()) {
                ticksPerMillisecond = max(1, rate)
                return
            }
        }
    }

    /// TSC ticks in 1 ms, from one 5 ms count of the PIT's channel 2.
    private static func measureTicksPerMillisecond() -> UInt64 {
        let pitHz: UInt64 = 1_193_182
        let count = pitHz * 5 / 1000
        outb(0x61, (inb(0x61) & ~0x02) | 0x01)  // gate channel 2 on, speaker off
        outb(0x43, 0xB0)  // channel 2, lobyte/hibyte, mode 0
        outb(0x42, UInt8(count & 0xFF))
        outb(0x42, UInt8(count >> 8))
        let gate = inb(0x61)
        outb(0x61, gate & ~0x01)  // restart the count
        outb(0x61, gate | 0x01)
        let start = cpu_rdtsc()
        while inb(0x61) & 0x20 == 0 { cpu_pause() }
        return (cpu_rdtsc() &- start) / 5
    }

    /// Milliseconds since the boot CPU entered the kernel.
    static var millisecondsSinceBoot: UInt64 { (cpu_rdtsc() &- boot_start_tsc()) / ticksPerMillisecond }

    static var microsecondsSinceBoot: UInt64 { (cpu_rdtsc() &- boot_start_tsc()) * 1000 / ticksPerMillisecond }

    /// Milliseconds from `earlier` to now, never negative. A time read on one CPU can be a
    /// little ahead of "now" on another (another CPU stored it, or the task migrated between
    /// the reads), and a plain subtraction would then trap: use these for every interval.
    static func millisecondsSince(_ earlier: UInt64) -> UInt64 { elapsed(from: earlier, to: millisecondsSinceBoot) }
    static func microsecondsSince(_ earlier: UInt64) -> UInt64 { elapsed(from: earlier, to: microsecondsSinceBoot) }
    static func elapsed(from earlier: UInt64, to later: UInt64) -> UInt64 { later > earlier ? later - earlier : 0 }
}
