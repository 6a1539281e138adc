// The hang diagnosis: connect to the VM's gdbstub (which stops the machine), report
// every vCPU with a symbolized backtrace and the kernel's counters, write the full report to
// the artifacts, and return a one-line summary for the JUnit failure. Without a gdbstub it
// falls back to QMP's `info registers` per vCPU.
import DWARFUnwind
import Diagnosis
import Foundation
import GDBRemote
import HostSystem
import KernelSymbols
import QEMUMachine
import QMP
import Scenario

public struct GDBHangDiagnoser: HangDiagnoser {
    public init() {}

    public func diagnose(
        _ machine: QEMUMachine, watchdog: Watchdog, artifacts: String, contract: KernelContract, symbols: SymbolMap?
    ) -> [String] {
        let started = MonotonicInstant.now
        let unwind = UnwindTableChoice.choose(for: symbols)
        var diagnosis: MachineDiagnosis
        var transcript: [String] = []
        // QEMU's run state first: connecting the debugger stops the machine.
        var lines = RunStateDiagnoser().diagnose(
            machine, watchdog: watchdog, artifacts: artifacts, contract: contract, symbols: symbols)
        if let path = machine.sockets.gdb {
            do {
                let client = try GDBClient(socketPath: path, reactor: machine.reactor, timeout: 3)
                // QEMU stops the machine when a debugger connects; `?` confirms it.
                _ = try client.stopReason()
                diagnosis = MachineDiagnosis.collect(
                    client: client, symbols: symbols, unwindTable: unwind.table, variables: contract.diagnosisVariables)
                if let problem = unwind.problem { diagnosis.problems.append(problem) }
                if watchdog != .qemuGone, diagnosis.vcpus.contains(where: { !$0.isIdle }) {
                    try takeSecondLook(client, symbols: symbols, unwindTable: unwind.table, into: &diagnosis)
                }
                transcript = client.transcript
                client.close()
            } catch let interrupted as Interrupted {
                // Ctrl-C or SIGTERM: the person wants out; report what the watchdog saw and stop.
                lines.append("diagnosis cut short: \(interrupted)")
                return lines
            } catch {
                lines.append("gdbstub unavailable (\(error)); registers from QMP info registers")
                diagnosis = Self.fromMonitor(machine)
            }
        } else {
            diagnosis = Self.fromMonitor(machine)
        }
        if symbols == nil {
            let kernel = machine.profile.kernel ?? "the kernel"
            diagnosis.problems.append(
                machine.profile.symbols.map {
                    "no symbols: \($0) (machine.symbols) is neither an ELF64 with symbols nor a System.map"
                }
                    ?? "no symbols: \(kernel) is not an ELF64 with symbols, no file of its path with .elf for its last extension is beside it, and its profile names no machine.symbols"
            )
        }
        // A relocated kernel's frames are only as right as the offset: say which was used.
        let slideNote =
            symbols.map { $0.slide == 0 ? "" : "symbols slid by the KASLR offset 0x\(String($0.slide, radix: 16))\n" } ?? ""
        let elapsed = MonotonicInstant.now.seconds(since: started)
        let frames = diagnosis.vcpus.map { "CPU\($0.index) \($0.symbolizedFrameCount)/\($0.frames.count)" }
        let report =
            slideNote + diagnosis.fullText
            + "collected in \(Int(elapsed * 1000)) ms after the \(watchdog.rawValue) watchdog; frames symbolized: \(frames.joined(separator: ", "))\n"
        try? report.write(toFile: "\(artifacts)/diagnosis.txt", atomically: true, encoding: .utf8)
        if !transcript.isEmpty {
            try? (transcript.joined(separator: "\n") + "\n").write(
                toFile: "\(artifacts)/gdb.log", atomically: true, encoding: .utf8)
        }
        lines.append("diagnosis: " + diagnosis.summary)
        if !slideNote.isEmpty { lines.append(String(slideNote.dropLast())) }
        lines.append("full diagnosis (\(diagnosis.source), \(Int(elapsed * 1000)) ms): diagnosis.txt in the artifacts")
        return lines
    }

    /// How long the machine runs between the two looks: long enough for any interrupt handler
    /// to finish, short next to any watchdog.
    static let secondLookDelay = 0.1

    /// Lets the machine run a moment and stops it again, so a vCPU caught in passing (a timer
    /// tick taken in the idle loop shows as "running, IF=0") is not reported as frozen.
    private func takeSecondLook(
        _ client: GDBClient, symbols: SymbolMap?, unwindTable: CallFrameTable?, into diagnosis: inout MachineDiagnosis
    ) throws {
        try client.resume()
        usleep(UInt32(Self.secondLookDelay * 1_000_000))
        _ = try client.interrupt()
        let later = MachineDiagnosis.collect(client: client, symbols: symbols, unwindTable: unwindTable, kernelState: false)
        diagnosis.compare(withSecondLook: later, after: Self.secondLookDelay)
    }

    /// Registers only, per vCPU, through the QMP human monitor.
    static func fromMonitor(_ machine: QEMUMachine) -> MachineDiagnosis {
        var diagnosis = MachineDiagnosis()
        diagnosis.source = "QMP info registers"
        _ = try? machine.qmp.execute("stop", timeout: 2)
        for index in 0..<machine.profile.vcpus {
            let arguments: JSONValue = .object(["command-line": .string("info registers"), "cpu-index": .int(Int64(index))])
            guard let text = try? machine.qmp.execute("human-monitor-command", arguments: arguments, timeout: 2).stringValue
            else {
                var failed = VCPUReport(index: index)
                failed.failure = "info registers did not answer"
                diagnosis.vcpus.append(failed)
                continue
            }
            diagnosis.vcpus.append(MonitorRegisters.parse(text, index: index))
        }
        return diagnosis
    }
}
