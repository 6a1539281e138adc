// Backtraces of a C guest stopped in a known call chain (Tests/UnwindGuest), built with frame
// pointers and without them (.eh_frame, .debug_frame), booted in a real QEMU and walked through
// its gdbstub as the hang diagnosis walks: every variant gives the whole chain by the method its
// symbols allow; the CFI walks agree with gdb's; a frame-pointer walk of a build without frame
// pointers stops, marked, without printing a frame that is not in the chain.
import DWARFUnwind
import Diagnosis
import Foundation
import GDBRemote
import HostSystem
import KernelSymbols
import QEMUMachine
import TestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct UnwindGuestTests {
    /// The guest booted and stopped in `deepest`, with its symbols and a gdbstub client.
    private func stopped(_ guest: UnwindGuest, _ body: (QEMUMachine, GDBClient, SymbolMap) throws -> Void) throws {
        let (elf, image) = try guest.build()
        var profile = MachineProfile()
        profile.kernel = image
        profile.vcpus = 1
        profile.accelerator = .tcg
        profile.gdbStub = true
        let reactor = Reactor(observesInterrupts: false)
        let machine = try QEMUMachine.launch(profile, reactor: reactor, serialLog: nil)
        defer { machine.shutdown() }
        var spinning = false
        machine.serial.onLine = { line in if line.text.contains(UnwindGuest.spinningLine) { spinning = true } }
        try machine.resume()
        let deadline = MonotonicInstant.now.adding(seconds: 60)
        try reactor.run(until: { spinning || !machine.isRunning }, deadline: { deadline })
        try #require(spinning, "the guest did not print \(UnwindGuest.spinningLine)")
        let client = try GDBClient(socketPath: machine.sockets.gdb!, reactor: reactor)
        _ = try client.stopReason()
        let symbols = try SymbolMap(path: elf)
        // The line is out before `put` has returned: let the guest run on into its spin loop.
        for _ in 0..<50 where !symbols.describe(try client.registers().rip).hasPrefix("deepest") {
            try client.resume()
            _ = try client.interrupt()
        }
        try body(machine, client, symbols)
    }

    private func functions(_ frames: [Frame]) -> [String] {
        frames.map { frame in
            let location = frame.location ?? "?"
            return location.range(of: "+0x").map { String(location[..<$0.lowerBound]) } ?? location
        }
    }

    @Test(arguments: UnwindGuest.allCases)
    func walksTheWholeChain(guest: UnwindGuest) throws {
        try stopped(guest) { machine, client, symbols in
            let unwind = UnwindTableChoice.choose(for: symbols)
            #expect(unwind.problem == nil)
            let diagnosis = MachineDiagnosis.collect(client: client, symbols: symbols, unwindTable: unwind.table)
            let vcpu = try #require(diagnosis.vcpus.first)
            #expect(!vcpu.inUserMode)
            #expect(functions(vcpu.frames) == UnwindGuest.chain, "\(vcpu.fullText.joined(separator: "\n"))")
            switch guest {
            case .framePointer:
                #expect(vcpu.unwoundBy == "frame-pointer")
                #expect(vcpu.walkEnded == "end of stack (rbp=0)")
            case .ehFrame, .debugFrame:
                let section = guest == .ehFrame ? ".eh_frame" : ".debug_frame"
                #expect(vcpu.unwoundBy == "dwarf-cfi (\(section))")
                #expect(vcpu.walkEnded.hasPrefix("end of stack (return address undefined in long_mode_entry+0x"))
                #expect(vcpu.fullText.contains { $0.contains("(backtrace unwound by: dwarf-cfi (\(section)); end of stack") })
                // gdb unwinds the same stopped machine by the same CFI: the same return addresses.
                client.close()
                let output = try Tool.run([
                    "gdb", "-batch", "-nx", try guest.build().elf, "-ex", "target remote \(machine.sockets.gdb!)", "-ex",
                    "thread apply all bt 40",
                ]).output
                let theirs = GDBBatchOutput(output).backtraces[0] ?? []
                #expect(Array(theirs.suffix(vcpu.frames.count - 1)) == vcpu.frames.dropFirst().map(\.address), "\(output)")
                #expect(theirs.count >= vcpu.frames.count - 1)
            }
        }
    }

    /// Without frame pointers rbp holds middle's data: walking by it must stop at once, marked,
    /// rather than print what it points at as frames.
    @Test(arguments: [UnwindGuest.ehFrame, UnwindGuest.debugFrame])
    func aFramePointerWalkOfABuildWithoutThemStopsMarked(guest: UnwindGuest) throws {
        try stopped(guest) { _, client, symbols in
            let registers = try client.registers()
            let access = StackAccess(
                readWord: { address in
                    let bytes = try client.readMemory(address, count: 8)
                    return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
                },
                symbolize: { symbols.symbol(containing: $0) != nil ? symbols.describe($0) : nil },
                isText: symbols.isText, functionStart: { symbols.symbol(containing: $0)?.address })
            let trace = FrameWalker.walkByFramePointer(rip: registers.rip, rbp: registers.rbp, rsp: registers.rsp, access: access)
            #expect(trace.stoppedEarly, "\(trace)")
            let names = functions(trace.frames)
            #expect(Array(UnwindGuest.chain.prefix(names.count)) == names, "\(trace)")
            #expect(names.count < UnwindGuest.chain.count)
        }
    }
}
