import Diagnosis
// The client against a real QEMU 7.2 running the real kernel, and the cross-check: the harness's
// registers and backtraces for every vCPU of a stopped VM against what `gdb -batch` reports.
import Foundation
import HostSystem
import KernelSymbols
import QEMUMachine
import Testing

@testable import GDBRemote

@Suite(.serialized, .timeLimit(.minutes(3))) struct GDBLiveTests {
    /// `debug=hang`: CPU 0 spins with interrupts off, the APs idle in `hlt`.
    @Test func registersAndBacktracesMatchGDB() throws {
        let reactor = Reactor(observesInterrupts: false)
        let machine = try bootKernel(cmdline: "debug=hang", vcpus: 4, until: "debug: hanging", reactor: reactor)
        defer { machine.shutdown() }
        let symbols = try SymbolMap(path: kernelELF)
        let client = try GDBClient(socketPath: machine.sockets.gdb!, reactor: reactor)
        #expect(client.features.contains("multiprocess+"))
        // The stop may catch an AP entering a timer tick (gdb unwinds through the trap frame
        // differently from us, and the AP is not in hlt): let it run on until every AP is idle.
        for _ in 0..<50 {
            let threads = try client.threads()
            if try threads.dropFirst().allSatisfy({ try client.extraInfo($0).contains("halted") }) { break }
            try client.resume()
            _ = try client.interrupt()
        }
        let ours = MachineDiagnosis.collect(client: client, symbols: symbols, variables: ["Kernel.CPUs.count"])
        // Closing without `D` leaves the machine stopped for gdb to see the same state.
        client.close()
        #expect(ours.vcpus.count == 4)
        #expect(ours.vcpus.first?.halted == false && ours.vcpus.first?.interruptsEnabled == false)
        #expect(ours.vcpus.dropFirst().allSatisfy { $0.halted == true })
        // The hang loop is DebugActions.run's, inlined into kmain or not as the optimizer chooses.
        let cpu0 = ours.vcpus[0].frames.compactMap(\.location)
        #expect(cpu0.first.map { $0.hasPrefix("DebugActions.run") || $0.hasPrefix("kmain") } == true, "\(cpu0)")
        #expect(cpu0.contains { $0.hasPrefix("kmain") }, "\(cpu0)")
        #expect(ours.kernelState.contains("Kernel.CPUs.count = 4"))

        let output = try runGDB([
            "target remote \(machine.sockets.gdb!)",
            "thread apply all info registers rip rsp rbp eflags cr3",
            "thread apply all bt 40",
        ])
        let theirs = GDBBatchOutput(output)
        #expect(theirs.registers.count == 4, "\(output)")
        for vcpu in ours.vcpus {
            let registers = try #require(theirs.registers[vcpu.index], "gdb showed no registers for CPU\(vcpu.index)")
            #expect(registers["rip"] == vcpu.rip)
            #expect(registers["rsp"] == vcpu.rsp)
            #expect(registers["rbp"] == vcpu.rbp)
            #expect(registers["eflags"] == vcpu.rflags)
            #expect(registers["cr3"] == vcpu.cr3)
            // gdb also prints the APs' return into their start trampoline, code copied below 1 MiB
            // at boot and so outside the kernel's text: our walk stops there, marked, unprinted.
            let gdbFrames = theirs.backtraces[vcpu.index] ?? []
            #expect(vcpu.unwoundBy == "frame-pointer")
            #expect(Array(gdbFrames.prefix(vcpu.frames.count)) == vcpu.frames.map(\.address), "CPU\(vcpu.index)")
            if gdbFrames.count > vcpu.frames.count {
                let next = gdbFrames[vcpu.frames.count]
                #expect(
                    vcpu.walkEnded == "stopped: return address 0x\(String(next, radix: 16)) is not kernel text",
                    "CPU\(vcpu.index)")
            }
        }
    }

    /// Memory, breakpoints, continue, step and interrupt on a live kernel.
    @Test func memoryBreakpointsStepAndInterrupt() throws {
        let reactor = Reactor(observesInterrupts: false)
        let machine = try bootKernel(cmdline: "debug=hang", vcpus: 2, until: "debug: hanging", reactor: reactor)
        defer { machine.shutdown() }
        let symbols = try SymbolMap(path: kernelELF)
        let client = try GDBClient(socketPath: machine.sockets.gdb!, reactor: reactor)
        guard case .signal = try client.stopReason() else {
            Issue.record("not stopped")
            return
        }
        let threads = try client.threads()
        #expect(threads == [GDBThreadID(process: 1, thread: 1), GDBThreadID(process: 1, thread: 2)])
        // QEMU's halted flag, read per vCPU: CPU 0 spins in debug=hang with interrupts off, so
        // it can never be halted. (CPU 1 idles in hlt, unless the stop caught it in a tick or
        // printing the soft-lockup report about CPU 0: either state, so only its form is checked.)
        #expect(try client.extraInfo(threads[0]) == "CPU#0 [running]")
        let state = try client.extraInfo(threads[1])
        #expect(state.hasPrefix("CPU#1 ["), "\(state)")

        // Memory: a counter read by symbol, written and read back, then restored.
        let count = try #require(symbols.lookup("Kernel.CPUs.count"))
        let original = try client.readMemory(count.address, count: 8)
        #expect(original == [2, 0, 0, 0, 0, 0, 0, 0])
        try client.writeMemory(count.address, [7, 0, 0, 0, 0, 0, 0, 0])
        #expect(try client.readUInt64(count.address) == 7)
        try client.writeMemory(count.address, original)
        // A read larger than one packet is split.
        #expect(try client.readMemory(0x100000, count: 5000).count == 5000)
        #expect(throws: GDBError.self) { try client.readMemory(0xffff_8000_dead_0000, count: 8) }

        // One register alone agrees with the whole file.
        try client.select(threads[1])
        let registers = try client.registers()
        #expect(try client.register(X86Registers.number["rip"]!) == registers.rip)
        #expect(try client.register(X86Registers.number["cr3"]!) == registers.cr3)

        // The AP idles in hlt and wakes on its timer: a hardware breakpoint where it resumes.
        try client.insertBreakpoint(.hardware, at: registers.rip)
        try client.resume()
        let hit = try client.waitForStop(timeout: 20)
        guard case .signal(5, let thread?, _) = hit else {
            Issue.record("stop \(hit)")
            return
        }
        try client.select(thread)
        #expect(try client.registers().rip == registers.rip)
        try client.removeBreakpoint(.hardware, at: registers.rip)

        // A single step moves the instruction pointer; an interrupt stops a running machine.
        let stepped = try client.step()
        guard case .signal(5, _, _) = stepped else {
            Issue.record("step \(stepped)")
            return
        }
        #expect(try client.registers().rip != registers.rip)
        try client.resume()
        guard case .signal(2, _, _) = try client.interrupt() else {
            Issue.record("interrupt")
            return
        }
    }
}

/// What `gdb -batch` printed for `thread apply all info registers ...` and `thread apply all bt`:
/// registers and backtrace addresses by CPU index.
struct GDBBatchOutput {
    var registers: [Int: [String: UInt64]] = [:]
    var backtraces: [Int: [UInt64]] = [:]

    init(_ text: String) {
        var cpu: Int?
        var inBacktrace = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Thread "), let range = line.range(of: "(CPU#") {
                cpu = Int(line[range.upperBound...].prefix(while: \.isNumber))
                inBacktrace = registers[cpu ?? -1] != nil
                continue
            }
            guard let cpu else { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("#"), fields.count >= 2 {
                // `#1  0x000000000011e9bf in name ()`; frame 0 may omit the address when it is a line start.
                if fields[1].hasPrefix("0x"), let address = UInt64(fields[1].dropFirst(2), radix: 16) {
                    backtraces[cpu, default: []].append(address)
                }
            } else if !inBacktrace, fields.count >= 2, fields[1].hasPrefix("0x"),
                let value = UInt64(fields[1].dropFirst(2), radix: 16)
            {
                registers[cpu, default: [:]][String(fields[0])] = value
            }
        }
    }
}
