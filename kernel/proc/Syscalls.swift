// System calls (`int 0x80`): number in rax, arguments in rdi, rsi, rdx, result in rax. Every
// pointer and length from user space is checked against the caller's own mapped user pages
// before it is touched: a bad one returns `Errno.fault`, never a kernel fault.
import Hardware
import Synchronization

enum Syscall {
    static let exit = 0, spawn = 1, wait = 2, kill = 3, yield = 4, getpid = 5
    static let write = 6, sleep = 7, map = 8, unmap = 9, clock = 10
}

enum Syscalls {
    static let maximumWrite: UInt64 = 4096
    static let maximumName: UInt64 = 64
    static let maximumMap: UInt64 = 64 << 20

    static func dispatch(_ frame: UnsafeMutablePointer<trap_frame>) {
        guard let p = Processes.current else { panic("system call without a process") }
        let a = frame.pointee.rdi, b = frame.pointee.rsi, c = frame.pointee.rdx
        cpu_sti()                               // system calls run with interrupts on
        let result: Int
        switch Int(frame.pointee.rax) {
        case Syscall.exit: Processes.exitCurrent(status: Int(Int32(truncatingIfNeeded: a)))
        case Syscall.spawn:
            if b == 0 || b > maximumName || !p.pointee.space.isUserRange(a, b) { result = Errno.fault }
            else {
                result = Processes.spawn(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(a)), count: Int(b)),
                                         argument: c, parent: p.pointee.pid, on: CPUs.currentIndex)
            }
        case Syscall.wait: result = Processes.wait(Int(Int64(bitPattern: a)), parent: p.pointee.pid)
        case Syscall.kill: result = Processes.kill(Int(Int64(bitPattern: a)))
        case Syscall.yield: Scheduler.yield(); result = 0
        case Syscall.getpid: result = p.pointee.pid
        case Syscall.write:
            if b > maximumWrite || !p.pointee.space.isUserRange(a, b) { result = Errno.fault }
            else {
                let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(a)), count: Int(b))
                consoleLock.withLock { for byte in bytes { Serial.put(byte) } }
                result = Int(b)
            }
        case Syscall.sleep: sleep(milliseconds: a, p); result = 0
        case Syscall.map: result = map(length: a, p)
        case Syscall.unmap: result = unmap(address: a, length: b, p)
        case Syscall.clock: result = Int(Clock.millisecondsSinceBoot)
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
              address < p.pointee.mapCursor, length <= p.pointee.mapCursor - address else { return Errno.invalid }
        var page = address
        while page < address + length {
            if !p.pointee.space.unmapAndFree(page) { return Errno.invalid }
            page += Layout.pageSize
        }
        return 0
    }
}
