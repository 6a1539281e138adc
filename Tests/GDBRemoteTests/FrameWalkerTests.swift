// The frame-pointer walk's checks on a made-up stack: a return address outside the kernel's
// text ends the walk marked and is never printed as a frame; a vCPU stopped on a function's
// first instructions is walked from rsp; a frameless function says its caller may be missing;
// a vCPU in user mode is labelled `user` and not walked; a CFI walk whose frame 0 has no CFI
// takes it as a leaf only when the word at rsp follows a call to that very function.
import DWARFUnwind
import Testing

@testable import Diagnosis

@Suite struct FrameWalkerTests {
    /// Text is 0x100000..<0x200000: `a` at 0x100000 (push rbp; mov rsp,rbp), `b` at 0x100100
    /// (frameless: starts with `sub $8,%rsp`), `c` at 0x100200 (with the prologue).
    private func access(_ memory: [UInt64: UInt64]) -> StackAccess {
        var words = memory
        words[0x100000] = 0x90_e589_4855
        words[0x100100] = 0x90_08ec_8348
        words[0x100200] = 0x90_e589_4855
        return StackAccess(
            readWord: { address in
                guard let word = words[address] else { throw FakeMemoryError() }
                return word
            },
            symbolize: { address in
                guard (0x100000..<0x200000).contains(address) else { return nil }
                let start = address & ~0xff
                let name = ["a", "b", "c"][Int((start - 0x100000) >> 8) % 3]
                return address == start ? name : "\(name)+0x\(String(address - start, radix: 16))"
            },
            isText: { (0x100000..<0x200000).contains($0) },
            functionStart: { (0x100000..<0x100300).contains($0) ? $0 & ~0xff : nil })
    }

    private struct FakeMemoryError: Error {}

    @Test func aReturnAddressOutsideTheTextStopsTheWalkUnprinted() {
        // c+0x10 (frame 0) <- a+0x20 <- 0x52edb3 (not text: never printed).
        let memory: [UInt64: UInt64] = [0x7000: 0x7100, 0x7008: 0x100020, 0x7100: 0xffff_ffff, 0x7108: 0x52edb3]
        let trace = FrameWalker.walkByFramePointer(rip: 0x100210, rbp: 0x7000, rsp: 0x6ff0, access: access(memory))
        #expect(trace.frames.map(\.location) == ["c+0x10", "a+0x1f"])
        #expect(trace.ending == "stopped: return address 0x52edb3 is not kernel text")
        #expect(trace.stoppedEarly)
        #expect(trace.method.description == "frame-pointer")
    }

    @Test func aCPUStoppedInAPrologueIsWalkedFromItsStackPointer() {
        // At c's first instruction the return address (a+0x30) is at rsp and rbp is a's frame.
        let memory: [UInt64: UInt64] = [0x6ff0: 0x100030, 0x7000: 0, 0x7008: 0x100110]
        let atPush = FrameWalker.walkByFramePointer(rip: 0x100200, rbp: 0x7000, rsp: 0x6ff0, access: access(memory))
        #expect(atPush.frames.map(\.location) == ["c", "a+0x2f", "b+0xf"])
        #expect(atPush.ending == "end of stack (rbp=0)")
        // One instruction on, rbp is pushed: the return address is above it.
        let pushed: [UInt64: UInt64] = [0x6fe8: 0x7000, 0x6ff0: 0x100030, 0x7000: 0, 0x7008: 0x100110]
        let afterPush = FrameWalker.walkByFramePointer(rip: 0x100201, rbp: 0x7000, rsp: 0x6fe8, access: access(pushed))
        #expect(afterPush.frames.map(\.location) == ["c+0x1", "a+0x2f", "b+0xf"])
    }

    @Test func aFramelessFunctionSaysItsCallerMayBeMissing() {
        let memory: [UInt64: UInt64] = [0x7000: 0, 0x7008: 0x100010]
        let trace = FrameWalker.walkByFramePointer(rip: 0x100120, rbp: 0x7000, rsp: 0x6f00, access: access(memory))
        #expect(trace.frames.map(\.location) == ["b+0x20", "a+0xf"])
        #expect(trace.ending == "end of stack (rbp=0); frame 0 has no frame-pointer prologue, so its caller may be missing")
    }

    @Test func frameZeroWithoutCFIIsALeafOnlyWhenCalledFromRSP() throws {
        // A table with no entries (a terminator only): no function has CFI.
        let table = try CallFrameTable(sectionName: ".debug_frame", address: 0, bytes: [0, 0, 0, 0])
        // b+0x10 (frame 0, hand-written code without CFI); at rsp the return address a+0x25, after
        // `call b` at a+0x20 (E8, rel32 0xdb: 0x100025 + 0xdb = 0x100100).
        let called: [UInt64: UInt64] = [0x6f00: 0x100025, 0x100020: 0xdb_e8]
        var general = [UInt64](repeating: 0, count: 16)
        general[7] = 0x6f00
        let leaf = FrameWalker.walkByCFI(rip: 0x100110, general: general, table: table, access: access(called))
        #expect(leaf.frames.map(\.location) == ["b+0x10", "a+0x24"])
        #expect(
            leaf.ending
                == "stopped: no CFI in .debug_frame for 0x100024 in a+0x24; frame 0 has no CFI: taken as a leaf, its return address at rsp follows a call to it"
        )
        // The same word after a call to c instead (rel32 0x1db): not b's caller, so nothing is guessed.
        let elsewhere: [UInt64: UInt64] = [0x6f00: 0x100025, 0x100020: 0x1db_e8]
        let stopped = FrameWalker.walkByCFI(rip: 0x100110, general: general, table: table, access: access(elsewhere))
        #expect(stopped.frames.map(\.location) == ["b+0x10"])
        #expect(stopped.ending == "stopped: no CFI in .debug_frame for 0x100110 in b+0x10")
    }

    @Test func aVCPUInUserModeIsLabelledUserAndNotWalked() {
        var vcpu = VCPUReport(index: 1)
        vcpu.halted = false
        vcpu.rflags = 0x202
        vcpu.rip = 0x40_1a2c
        vcpu.rsp = 0x7fff_ffff_ee80
        vcpu.inUserMode = true
        #expect(vcpu.summary() == "CPU1 running, IF=1, user: rip=0x401a2c rsp=0x7fffffffee80")
        #expect(vcpu.fullText.last == "  (user mode, CPL 3: the stack is the process's, not walked as kernel frames)")
        #expect(!vcpu.isIdle)
        let monitor = MonitorRegisters.parse(
            "RIP=0000000000401a2c RFL=00000202 [-------] CPL=3 II=0 A20=1 SMM=0 HLT=0\nCR3=0000000000123000", index: 1)
        #expect(monitor.inUserMode)
    }
}
