// Whole lines to the serial console, one CPU at a time, without allocating: usable from panic
// context and when the heap is exhausted. Numbers are formatted into the line directly.
import Hardware
import Synchronization

let consoleLock = SpinLock(registrySlot: .console)
/// Set once a panic owns the machine: from then on the panicking CPU writes without the lock,
/// which another (now stopped) CPU may have held.
let consoleBypassLock = Atomic<Bool>(false)

/// A line being written. Only `Console.line` makes one, holding the console lock.
struct ConsoleLine {
    fileprivate init() {}

    func text(_ s: StaticString) {
        let p = s.utf8Start
        for i in 0..<s.utf8CodeUnitCount { Serial.put(p[i]) }
    }

    func bytes(_ b: UnsafeBufferPointer<UInt8>) {
        for c in b { Serial.put(c) }
    }

    func char(_ c: UInt8) { Serial.put(c) }

    func dec(_ value: Int) {
        if value < 0 { Serial.put(UInt8(ascii: "-")); dec(UInt64(value.magnitude)) } else { dec(UInt64(value)) }
    }

    func dec(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 20 digits fit in 24 bytes
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat { buf[count] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10; count += 1 } while v != 0
            while count > 0 { count -= 1; Serial.put(buf[count]) }
        }
    }

    func dec(_ value: UInt) { dec(UInt64(value)) }
    func dec(_ value: UInt32) { dec(UInt64(value)) }

    /// `0x` and at least `width` hex digits.
    func hex(_ value: UInt64, width: Int = 1) {
        text("0x")
        var started = false
        for i in stride(from: 15, through: 0, by: -1) {
            let nibble = UInt8((value >> (UInt64(i) * 4)) & 0xF)
            if nibble != 0 || started || i < width {
                started = true
                Serial.put(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
            }
        }
    }
}

enum Console {
    /// Set by `debug=silent`: ordinary lines are dropped (a panic report still gets out).
    nonisolated(unsafe) static var silenced = false

    /// Writes one line: `body` adds the parts, the newline is added here.
    static func line(_ body: (ConsoleLine) -> Void) {
        if consoleBypassLock.load(ordering: .relaxed) {
            body(ConsoleLine()); Serial.put(10); return
        }
        if silenced { return }
        consoleLock.withLock { body(ConsoleLine()); Serial.put(10) }
    }

    static func line(_ s: StaticString) { line { $0.text(s) } }

    /// A line from a context that must not wait for ever (NMI, watchdog, lock reports): waits a
    /// bounded time for the lock, then writes without it.
    static func forcedLine(_ body: (ConsoleLine) -> Void) {
        if consoleBypassLock.load(ordering: .relaxed) { body(ConsoleLine()); Serial.put(10); return }
        var spins = 0
        while consoleLock.isLocked && spins < 2_000_000 { cpu_pause(); spins += 1 }
        if consoleLock.isLocked { body(ConsoleLine()); Serial.put(10); return }
        consoleLock.withLock { body(ConsoleLine()); Serial.put(10) }
    }
}

/// `putchar` for the Swift runtime (`print`, `fatalError` messages).
@_cdecl("kernel_console_putchar")
func kernelConsolePutchar(_ c: Int32) {
    if consoleBypassLock.load(ordering: .relaxed) { Serial.put(UInt8(truncatingIfNeeded: c)); return }
    consoleLock.withLock { Serial.put(UInt8(truncatingIfNeeded: c)) }
}
