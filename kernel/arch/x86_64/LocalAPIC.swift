// The local APIC (xAPIC, memory-mapped): end of interrupt, the per-CPU timer, and
// inter-processor interrupts (fixed, NMI, INIT, SIPI).
import Hardware

enum Vector {
    static let timer = 0x40
    static let systemCall = 0x80
    static let reschedule = 0xF0
    static let crossCall = 0xF1
    static let panicStop = 0xF2
    static let spurious = 0xFF
}

enum LocalAPIC {
    nonisolated(unsafe) static var base: UInt64 = 0xFEE0_0000
    /// APIC timer counts per millisecond (divide by 16), measured once on the boot CPU.
    nonisolated(unsafe) static var timerTicksPerMillisecond: UInt64 = 0

    static let id: UInt64 = 0x20, eoiRegister: UInt64 = 0xB0, spuriousRegister: UInt64 = 0xF0
    static let icrLow: UInt64 = 0x300, icrHigh: UInt64 = 0x310, lvtTimer: UInt64 = 0x320
    static let timerInitial: UInt64 = 0x380, timerCurrent: UInt64 = 0x390, timerDivide: UInt64 = 0x3E0
    static let taskPriority: UInt64 = 0x80

    static func read(_ r: UInt64) -> UInt32 { mmio_read32(base + r) }
    static func write(_ r: UInt64, _ v: UInt32) { mmio_write32(base + r, v) }

    /// Enables this CPU's APIC: spurious vector, accept every priority.
    static func enable() {
        cpu_wrmsr(0x1B, cpu_rdmsr(0x1B) | (1 << 11))  // global enable
        write(taskPriority, 0)
        write(spuriousRegister, 0x100 | UInt32(Vector.spurious))
    }

    static var currentID: UInt32 { read(id) >> 24 }

    static func endOfInterrupt() { write(eoiRegister, 0) }

    /// Measures the timer against the TSC (already calibrated). Boot CPU, once.
    static func calibrateTimer() {
        write(timerDivide, 0x3)  // divide by 16
        write(lvtTimer, 1 << 16)  // masked, one-shot
        write(timerInitial, 0xFFFF_FFFF)
        let start = cpu_rdtsc()
        while cpu_rdtsc() &- start < Clock.ticksPerMillisecond * 10 { cpu_pause() }
        let elapsed = 0xFFFF_FFFF - UInt64(read(timerCurrent))
        write(timerInitial, 0)
        timerTicksPerMillisecond = max(1, elapsed / 10)
    }

    /// Sets the period of this CPU's running periodic tick (the count restarts from it).
    static func setTimerPeriod(microseconds: UInt64) {
        write(timerInitial, UInt32(truncatingIfNeeded: max(1, timerTicksPerMillisecond * microseconds / 1000)))
    }

    /// Starts this CPU's periodic tick.
    static func startTimer(periodMilliseconds: UInt64) {
        write(timerDivide, 0x3)
        write(lvtTimer, UInt32(Vector.timer) | (1 << 17))  // periodic
        write(timerInitial, UInt32(truncatingIfNeeded: timerTicksPerMillisecond * periodMilliseconds))
    }

    private static func waitForDelivery() {
        var spins = 0
        while read(icrLow) & (1 << 12) != 0 && spins < 1_000_000 {
            cpu_pause()
            spins += 1
        }
    }

    /// A fixed interrupt `vector` to the CPU with APIC id `apicID`.
    static func sendIPI(to apicID: UInt32, vector: Int) {
        write(icrHigh, apicID << 24)
        write(icrLow, UInt32(vector))
        waitForDelivery()
    }

    static func sendNMI(to apicID: UInt32) {
        write(icrHigh, apicID << 24)
        write(icrLow, 4 << 8)  // delivery mode NMI
        waitForDelivery()
    }

    static func sendInit(to apicID: UInt32) {
        write(icrHigh, apicID << 24)
        write(icrLow, (5 << 8) | (1 << 14))  // INIT, assert
        waitForDelivery()
    }

    static func sendStartup(to apicID: UInt32, page: UInt32) {
        write(icrHigh, apicID << 24)
        write(icrLow, (6 << 8) | page)  // SIPI
        waitForDelivery()
    }
}
