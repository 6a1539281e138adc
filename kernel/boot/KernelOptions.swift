// The kernel command line, parsed into typed options. Unknown keys and bad values are reported
// with a warning line and ignored: a typo must never stop a boot.

enum PanicAction { case exit, halt }
enum DebugAction { case none, hang, hangLocked, panic, tripleFault, silent, race, userSpin, seedFaults }
enum WorkloadKind { case roulette }
enum SpinLockOption { case automatic, ticket, testAndSet }

/// A run of bytes inside the saved command line.
struct CommandLineSlice {
    var start: Int
    var count: Int

    func byte(_ i: Int) -> UInt8 { Multiboot.commandLine[start + i] }

    func equals(_ s: StaticString) -> Bool {
        guard s.utf8CodeUnitCount == count else { return false }
        for i in 0..<count where s.utf8Start[i] != byte(i) { return false }
        return true
    }

    /// The slice as a decimal or `0x` hexadecimal number.
    var number: UInt64? {
        var value: UInt64 = 0
        var i = 0
        var radix: UInt64 = 10
        if count > 2 && byte(0) == UInt8(ascii: "0") && (byte(1) | 0x20) == UInt8(ascii: "x") {
            radix = 16
            i = 2
        }
        guard i < count else { return nil }
        while i < count {
            let c = byte(i) | (radix == 16 ? 0x20 : 0)
            let digit: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16: digit = UInt64(c - UInt8(ascii: "a") + 10)
            default: return nil
            }
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = m.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        return value
    }

    func write(to line: ConsoleLine) {
        for i in 0..<count { line.char(byte(i)) }
    }
}

struct KernelOptions {
    var ktest: CommandLineSlice?
    var panicAction = PanicAction.exit
    var seed: UInt64 = 1
    var debug = DebugAction.none
    var heartbeatMilliseconds: UInt64 = 0
    var ipiDeadlineMilliseconds: UInt64 = 500
    var lockDebugMilliseconds: UInt64 = 0
    var spinLock = SpinLockOption.automatic
    var storm: StormKind? = nil
    var count = 1000
    var durationMilliseconds: UInt64 = 60_000
    /// `tick_jitter=<salt>`: a nonzero salt jitters every CPU's tick period (Tick.nextPeriod).
    var tickJitterSalt: UInt64 = 0
    /// `then=exit`: after the storm, exit QEMU cleanly (33) instead of starting the shell, so a
    /// run ends at a point the guest chooses, not when the host sends `shutdown`.
    var exitAfterStorm = false
    /// `tick_yield=1`: every tick executes one `pause` (Tick.yieldsToOtherVCPUs).
    var tickYield = false
    /// `workload=roulette`: the compositor and its animation (workload/Roulette.swift).
    var workload: WorkloadKind? = nil
    /// `spins=<n>`: how many spins the roulette runs.
    var spins = 3
    /// `fb=<width>x<height>`: the display mode.
    var framebufferWidth = Parameters.defaultFramebufferWidth
    var framebufferHeight = Parameters.defaultFramebufferHeight

    /// Parses `Multiboot.commandLine`.
    static func parse() -> KernelOptions {
        var options = KernelOptions()
        let length = Multiboot.commandLineLength
        var i = 0
        var isFirstWord = true
        while i < length {
            while i < length && Multiboot.commandLine[i] == UInt8(ascii: " ") { i += 1 }
            let start = i
            while i < length && Multiboot.commandLine[i] != UInt8(ascii: " ") { i += 1 }
            // The loader puts the image's path first (QEMU and GRUB both do): it is no option.
            if i > start && !isFirstWord { options.apply(CommandLineSlice(start: start, count: i - start)) }
            if i > start { isFirstWord = false }
        }
        return options
    }

    private mutating func apply(_ word: CommandLineSlice) {
        var equals = 0
        while equals < word.count && word.byte(equals) != UInt8(ascii: "=") { equals += 1 }
        let key = CommandLineSlice(start: word.start, count: equals)
        let value = CommandLineSlice(start: word.start + equals + 1, count: max(0, word.count - equals - 1))
        if key.equals("ktest") {
            ktest = value
        } else if key.equals("panic") {
            if value.equals("exit") {
                panicAction = .exit
            } else if value.equals("halt") {
                panicAction = .halt
            } else {
                warnBadValue(key, value, expected: "exit or halt")
            }
        } else if key.equals("seed") {
            if let n = value.number { seed = n } else { warnBadValue(key, value, expected: "a number") }
        } else if key.equals("debug") {
            if value.equals("hang") {
                debug = .hang
            } else if value.equals("hang-locked") {
                debug = .hangLocked
            } else if value.equals("panic") {
                debug = .panic
            } else if value.equals("triplefault") {
                debug = .tripleFault
            } else if value.equals("silent") {
                debug = .silent
            } else if value.equals("race") {
                debug = .race
            } else if value.equals("userspin") {
                debug = .userSpin
            } else if value.equals("seed-faults") {
                debug = .seedFaults
            } else {
                warnBadValue(key, value, expected: "hang, hang-locked, panic, triplefault, silent, race, userspin or seed-faults")
            }
        } else if key.equals("heartbeat") {
            if let n = value.number { heartbeatMilliseconds = n } else { warnBadValue(key, value, expected: "milliseconds") }
        } else if key.equals("ipi_deadline_ms") {
            if let n = value.number {
                ipiDeadlineMilliseconds = n
            } else {
                warnBadValue(key, value, expected: "milliseconds, 0 for none")
            }
        } else if key.equals("lockdebug") {
            if let n = value.number { lockDebugMilliseconds = n } else { warnBadValue(key, value, expected: "milliseconds") }
        } else if key.equals("storm") {
            if value.equals("exit") {
                storm = .exit
            } else if value.equals("kill") {
                storm = .kill
            } else if value.equals("churn") {
                storm = .churn
            } else if value.equals("steal") {
                storm = .steal
            } else if value.equals("mixed") {
                storm = .mixed
            } else if value.equals("badinput") {
                storm = .badInput
            } else if value.equals("speedup") {
                storm = .speedup
            } else {
                warnBadValue(key, value, expected: "exit, kill, churn, steal, speedup, mixed or badinput")
            }
        } else if key.equals("workload") {
            if value.equals("roulette") { workload = .roulette } else { warnBadValue(key, value, expected: "roulette") }
        } else if key.equals("spins") {
            if let n = value.number, n > 0, n <= 1_000_000 {
                spins = Int(n)
            } else {
                warnBadValue(key, value, expected: "1 to 1000000")
            }
        } else if key.equals("fb") {
            var x = 0
            while x < value.count && value.byte(x) != UInt8(ascii: "x") { x += 1 }
            let w = CommandLineSlice(start: value.start, count: x).number
            let h = CommandLineSlice(start: value.start + x + 1, count: max(0, value.count - x - 1)).number
            if let w, let h, w >= 64, w <= 1920, h >= 64, h <= 1200 {
                framebufferWidth = Int(w)
                framebufferHeight = Int(h)
            } else {
                warnBadValue(key, value, expected: "<width>x<height>, 64x64 to 1920x1200")
            }
        } else if key.equals("count") {
            if let n = value.number, n > 0, n <= 100_000_000 {
                count = Int(n)
            } else {
                warnBadValue(key, value, expected: "1 to 100000000")
            }
        } else if key.equals("duration_ms") {
            if let n = value.number, n > 0 {
                durationMilliseconds = n
            } else {
                warnBadValue(key, value, expected: "milliseconds")
            }
        } else if key.equals("spinlock") {
            if value.equals("ticket") {
                spinLock = .ticket
            } else if value.equals("tas") {
                spinLock = .testAndSet
            } else if value.equals("auto") {
                spinLock = .automatic
            } else {
                warnBadValue(key, value, expected: "ticket, tas or auto")
            }
        } else if key.equals("tick_jitter") {
            if let n = value.number { tickJitterSalt = n } else { warnBadValue(key, value, expected: "a number, 0 for none") }
        } else if key.equals("tick_yield") {
            if value.equals("1") {
                tickYield = true
            } else if value.equals("0") {
                tickYield = false
            } else {
                warnBadValue(key, value, expected: "0 or 1")
            }
        } else if key.equals("then") {
            if value.equals("exit") {
                exitAfterStorm = true
            } else if value.equals("shell") {
                exitAfterStorm = false
            } else {
                warnBadValue(key, value, expected: "exit or shell")
            }
        } else if key.equals("console") || key.equals("quiet") {
            // Accepted for compatibility with common boot lines; no effect.
        } else {
            Console.line { line in
                line.text("cmdline: warning: unknown option '")
                key.write(to: line)
                line.text("' ignored")
            }
        }
    }

    private func warnBadValue(_ key: CommandLineSlice, _ value: CommandLineSlice, expected: StaticString) {
        Console.line { line in
            line.text("cmdline: warning: bad value '")
            value.write(to: line)
            line.text("' for '")
            key.write(to: line)
            line.text("' (expected ")
            line.text(expected)
            line.text(") ignored")
        }
    }
}
