// The seam for hang diagnosis (issue 6: gdbstub client). When a watchdog calls a run a hang, the
// VM is still alive; a diagnoser gets it before shutdown and returns lines for the verdict.
import QEMUMachine

public protocol HangDiagnoser {
    /// Called on the VM's thread with the live machine. Precondition: `machine.isRunning`.
    func diagnose(_ machine: QEMUMachine, watchdog: Watchdog) -> [String]
}

/// What QMP alone can tell: QEMU's run state (running, paused, internal-error, ...).
public struct RunStateDiagnoser: HangDiagnoser {
    public init() {}

    public func diagnose(_ machine: QEMUMachine, watchdog: Watchdog) -> [String] {
        guard let status = try? machine.qmp.execute("query-status", timeout: 2) else {
            return ["QEMU did not answer query-status"]
        }
        return ["QEMU run state: \(status["status"]?.stringValue ?? "\(status)")"]
    }
}
