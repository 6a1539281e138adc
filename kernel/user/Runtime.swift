// The user programs' runtime: system-call wrappers and the entry point. Each program defines
// `programMain(argument:)`; `_start` calls it and exits with its result. Programs allocate
// nothing (no Array, String or class): linked with --gc-sections they need no libc symbols.
import UserSystem

enum Sys {
    static func exit(_ status: Int) -> Never {
        _ = syscall3(Int64(SYS_EXIT), UInt64(bitPattern: Int64(status)), 0, 0)
        while true {}
    }
    static func spawn(_ name: StaticString, argument: UInt64) -> Int {
        Int(syscall3(Int64(SYS_SPAWN), UInt64(UInt(bitPattern: name.utf8Start)), UInt64(name.utf8CodeUnitCount), argument))
    }
    static func wait(_ pid: Int) -> Int { Int(syscall3(Int64(SYS_WAIT), UInt64(bitPattern: Int64(pid)), 0, 0)) }
    static func kill(_ pid: Int) -> Int { Int(syscall3(Int64(SYS_KILL), UInt64(bitPattern: Int64(pid)), 0, 0)) }
    static func yield() { _ = syscall3(Int64(SYS_YIELD), 0, 0, 0) }
    static func getpid() -> Int { Int(syscall3(Int64(SYS_GETPID), 0, 0, 0)) }
    static func write(_ s: StaticString) -> Int {
        Int(syscall3(Int64(SYS_WRITE), UInt64(UInt(bitPattern: s.utf8Start)), UInt64(s.utf8CodeUnitCount), 0))
    }
    static func write(address: UInt64, length: UInt64) -> Int { Int(syscall3(Int64(SYS_WRITE), address, length, 0)) }
    static func sleep(milliseconds: UInt64) { _ = syscall3(Int64(SYS_SLEEP), milliseconds, 0, 0) }
    static func map(_ length: UInt64) -> Int { Int(syscall3(Int64(SYS_MAP), length, 0, 0)) }
    static func unmap(_ address: UInt64, _ length: UInt64) -> Int { Int(syscall3(Int64(SYS_UNMAP), address, length, 0)) }
    static func clock() -> UInt64 { UInt64(syscall3(Int64(SYS_CLOCK), 0, 0, 0)) }
    static func raw(_ n: Int32, _ a: UInt64, _ b: UInt64, _ c: UInt64) -> Int { Int(syscall3(Int64(n), a, b, c)) }
}

@_cdecl("_start")
func userStart(_ argument: UInt64) -> Never {
    Sys.exit(programMain(argument: argument))
}
