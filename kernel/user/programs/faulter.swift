// faulter: does one bad thing, chosen by its argument; the kernel must kill it and nothing else.
// 0 null read, 1 write into the kernel's half, 2 ud2, 3 hlt (privileged: #GP),
// 4 jump to a non-executable address, 5 bad system-call arguments (exits 0 if every one was
// refused with an error).
import UserSystem

func programMain(argument: UInt64) -> Int {
    switch argument % 6 {
    case 0: return Int(UnsafePointer<UInt64>(bitPattern: 8)!.pointee)
    case 1:
        UnsafeMutablePointer<UInt64>(bitPattern: 0x10_0000)!.pointee = 1
        return 1
    case 2:
        user_ud2()
        return 1
    case 3:
        user_hlt()
        return 1
    case 4:
        let f = unsafeBitCast(UnsafeRawPointer(bitPattern: 0x7f00_0000_0000)!, to: (@convention(c) () -> Void).self)
        f()
        return 1
    default: return badArguments()
    }
}

private func badArguments() -> Int {
    var failures = 0
    if Sys.write(address: 0, length: 10) >= 0 { failures += 1 }  // null buffer
    if Sys.write(address: 0x10_0000, length: 16) >= 0 { failures += 1 }  // kernel memory
    if Sys.write(address: 0x80_0000_0000, length: 1 << 40) >= 0 { failures += 1 }  // absurd length
    if Sys.write(address: 0x7fff_ffff_fff0, length: 64) >= 0 { failures += 1 }  // runs past the user half
    if Sys.raw(Int32(SYS_SPAWN), 0, 5, 0) >= 0 { failures += 1 }  // bad name pointer
    if Sys.raw(Int32(SYS_SPAWN), 0x80_0000_0000, 100_000, 0) >= 0 { failures += 1 }  // name too long
    if Sys.wait(-1) >= 0 { failures += 1 }
    if Sys.wait(999_999) >= 0 { failures += 1 }
    if Sys.kill(0) >= 0 { failures += 1 }
    if Sys.map(0) >= 0 { failures += 1 }
    if Sys.map(1 << 50) >= 0 { failures += 1 }
    if Sys.unmap(0x10_0000, 4096) >= 0 { failures += 1 }
    if Sys.unmap(0x90_0000_0001, 4096) >= 0 { failures += 1 }
    if Sys.raw(9999, 1, 2, 3) >= 0 { failures += 1 }  // no such call
    if Sys.spawn("no-such-program", argument: 0) >= 0 { failures += 1 }
    return failures
}
