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
        if value < 0 {
            Serial.put(UInt8(ascii: "-"))
            dec(UInt64(value.magnitude))
        } else {
            dec(UInt64(value))
        }
    }

    func dec(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits fit in 24 bytes
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                buf[count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            } while v != 0
            while count > 0 {
                count -= 1
                Serial.put(buf[count])
            }
        }
    }

    func dec(_ value: UInt) { dec(UInt64(value)) }
    func dec(_ value: UInt32) { dec(UInt64(value)) }

    // Figure fields: ` key=value`, the pairs of the machine-readable lines documented in
    // docs/kernel-interface.md ("Figure lines"). A host test (Tests/KernelInterfaceTests) reads
    // the `field` calls inside each `Console.record` and checks them against that table, so
    // keys are always literals here.

    func field(_ key: StaticString, _ value: Int) {
        fieldKey(key)
        dec(value)
    }
    func field(_ key: StaticString, _ value: UInt64) {
        fieldKey(key)
        dec(value)
    }
    func field(_ key: StaticString, _ value: UInt) {
        fieldKey(key)
        dec(value)
    }
    func field(_ key: StaticString, _ value: UInt32) {
        fieldKey(key)
        dec(value)
    }
    /// A word as the value (`kind=churn`, `spinlock=tas`).
    func field(_ key: StaticString, _ value: StaticString) {
        fieldKey(key)
        text(value)
    }

    /// ` key<index>=value`, one of a numbered family (`size64=3`).
    func field(_ key: StaticString, index: Int, _ value: Int) {
        text(" ")
        text(key)
        dec(index)
        char(UInt8(ascii: "="))
        dec(value)
    }

    /// ` cpu<index>.key=value`, a per-CPU figure (`cpu2.beats=340`).
    func field(cpu index: Int, _ key: StaticString, _ value: UInt64) {
        text(" cpu")
        dec(index)
        char(UInt8(ascii: "."))
        text(key)
        char(UInt8(ascii: "="))
        dec(value)
    }

    func field(cpu index: Int, _ key: StaticString, _ value: Int) { field(cpu: index, key, UInt64(value)) }

    private func fieldKey(_ key: StaticString) {
        text(" ")
        text(key)
        char(UInt8(ascii: "="))
    }

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
            Serial.startLine()
            body(ConsoleLine())
            Serial.put(10)
            return
        }
        if silenced { return }
        consoleLock.withLock {
            Serial.startLine()
            body(ConsoleLine())
            Serial.put(10)
        }
    }

    static func line(_ s: StaticString) { line { $0.text(s) } }

    /// A figure line: `tag` (`mm: stats`), then the `field`s `body` writes. Every record is a
    /// row of docs/kernel-interface.md's "Figure lines" table.
    static func record(_ tag: StaticString, _ body: (ConsoleLine) -> Void) {
        line { l in
            l.text(tag)
            body(l)
        }
    }

    /// `record` from a context that must not wait for ever (the heartbeat, from the tick).
    static func forcedRecord(_ tag: StaticString, _ body: (ConsoleLine) -> Void) {
        forcedLine { l in
            l.text(tag)
            body(l)
        }
    }

    /// A line from a context that must not wait for ever (NMI, watchdog, lock reports): waits a
    /// bounded time for the lock, then writes without it.
    static func forcedLine(_ body: (ConsoleLine) -> Void) {
        if consoleBypassLock.load(ordering: .relaxed) {
            Serial.startLine()
            body(ConsoleLine())
            Serial.put(10)
            return
        }
        var spins = 0
        while consoleLock.isLocked && spins < 2_000_000 {
            cpu_pause()
            spins += 1
        }
        if consoleLock.isLocked {
            Serial.startLine()
            body(ConsoleLine())
            Serial.put(10)
            return
        }
        consoleLock.withLock {
            Serial.startLine()
            body(ConsoleLine())
            Serial.put(10)
        }
    }
}

/// `putchar` for the Swift runtime (`print`, `fatalError` messages).
@_cdecl("kernel_console_putchar")
func kernelConsolePutchar(_ c: Int32) {
    if consoleBypassLock.load(ordering: .relaxed) {
        Serial.put(UInt8(truncatingIfNeeded: c))
        return
    }
    consoleLock.withLock { Serial.put(UInt8(truncatingIfNeeded: c)) }
}
