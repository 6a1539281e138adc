// System calls (`int 0x80`): number in rax, arguments in rdi, rsi, rdx, result in rax. Every
// pointer and length from user space is checked against the caller's own mapped user pages
// before it is touched: a bad one returns `Errno.fault`, never a kernel fault.
import Hardware
import Synchronization

enum Syscalls {
    static let maximumWrite: UInt64 = 4096
    static let maximumName: UInt64 = 64
    static let maximumMap: UInt64 = 64 << 20

    static func dispatch(_ frame: UnsafeMutablePointer<trap_frame>) {
        guard let p = Processes.current else { panic("system call without a process") }
        let a = frame.pointee.rdi
        let b = frame.pointee.rsi
        let c = frame.pointee.rdx
        cpu_sti()  // system calls run with interrupts on
        let result: Int
        switch Int(frame.pointee.rax) {
        case Int(SYS_EXIT): Processes.exitCurrent(status: Int(Int32(truncatingIfNeeded: a)))
        case Int(SYS_SPAWN):
            if b == 0 || b > maximumName || !p.pointee.space.isUserRange(a, b) {
                result = Errno.fault
            } else {
                result = Processes.spawn(
                    UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(a)), count: Int(b)),
                    argument: c, parent: p.pointee.pid, on: CPUs.currentIndex)
            }
        case Int(SYS_WAIT): result = Processes.wait(Int(Int64(bitPattern: a)), parent: p.pointee.pid)
        case Int(SYS_KILL): result = Processes.kill(Int(Int64(bitPattern: a)))
        case Int(SYS_YIELD):
            Scheduler.yield()
            result = 0
        case Int(SYS_GETPID): result = p.pointee.pid
        case Int(SYS_WRITE):
            if b > maximumWrite || !p.pointee.space.isUserRange(a, b) {
                result = Errno.fault
            } else {
                let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(a)), count: Int(b))
                consoleLock.withLock { for byte in bytes { Serial.put(byte) } }
                result = Int(b)
            }
        case Int(SYS_SLEEP):
            sleep(milliseconds: a, p)
            result = 0
        case Int(SYS_MAP): result = map(length: a, p)
        case Int(SYS_UNMAP): result = unmap(address: a, length: b, p)
        case Int(SYS_CLOCK): result = Int(Clock.millisecondsSinceBoot)
        default: result = Errno.noSystemCall
        }
        frame.pointee.rax = UInt64(bitPattern: Int64(result))
    }

    private static func sleep(milliseconds: UInt64, _ p: ProcessPointer) {
        TickWait.wait(milliseconds: min(milliseconds, 3_600_000)) { p.pointee.killRequested.load(ordering: .relaxed) }
    }

    /// Maps `length` bytes of zeroed memory; refused when it would eat into the kernel's reserve.
    private static func map(length: UInt64, _ p: ProcessPointer) -> Int {
        guard length > 0, length <= maximumMap else { return Errno.invalid }
        let pages = (length + Layout.pageSize - 1) / Layout.pageSize
        let base = p.pointee.mapCursor
        guard base + pages * Layout.pageSize <= UserMemory.mapLimit else { return Errno.noMemory }
        guard PhysicalMemory.freeFrames > UserMemory.reserveFrames + Int(pages) + 8 else { return Errno.noMemory }
        for i in 0..<pages {
            if !p.pointee.space.mapZeroed(base + i * Layout.pageSize, writable: true, executable: false) {
                for j in 0..<i { _ = p.pointee.space.unmapAndFree(base + j * Layout.pageSize) }
                return Errno.noMemory
            }
        }
        p.pointee.mapCursor = base + pages * Layout.pageSize
        return Int(base)
    }

    private static func unmap(address: UInt64, length: UInt64, _ p: ProcessPointer) -> Int {
        guard address & 0xFFF == 0, length > 0, address >= UserMemory.mapBase,
            address < p.pointee.mapCursor, length <= p.pointee.mapCursor - address
        else { return Errno.invalid }
        var page = address
        while page < address + length {
            if !p.pointee.space.unmapAndFree(page) { return Errno.invalid }
            page += Layout.pageSize
        }
        return 0
    }
}
