// The seam for hang diagnosis. When a watchdog calls a run a hang, the VM is still alive; a
// diagnoser gets it before shutdown and returns lines for the verdict (and may leave a fuller
// report in the run's artifacts folder).
import KernelSymbols
import QEMUMachine
import Scenario

public protocol HangDiagnoser {
    /// Called on the VM's thread with the live machine. Precondition: `machine.isRunning`.
    /// `artifacts` is the run's folder, kept if the run fails; `contract` is the kernel's, from its
    /// profile (the variables to read); `symbols` the kernel's, at its running addresses (nil
    /// when none were found).
    func diagnose(
        _ machine: QEMUMachine, watchdog: Watchdog, artifacts: String, contract: KernelContract, symbols: SymbolMap?
    ) -> [String]
}

/// What QMP alone can tell: QEMU's run state (running, paused, internal-error, ...).
public struct RunStateDiagnoser: HangDiagnoser {
    public init() {}

    public func diagnose(
        _ machine: QEMUMachine, watchdog: Watchdog, artifacts: String, contract: KernelContract, symbols: SymbolMap?
    ) -> [String] {
        guard let status = try? machine.qmp.execute("query-status", timeout: 2) else {
            return ["QEMU did not answer query-status"]
        }
        return ["QEMU run state: \(status["status"]?.stringValue ?? "\(status)")"]
    }
}

/// How long a diagnosed hang took to explain, for `make bench`: from the guest's last serial
/// output (where a hang starts to show) and from the watchdog firing, to the complete report.
public struct DiagnosisTiming {
    /// Last serial byte to the finished report: the silence window plus the diagnosis.
    public let fromLastOutput: Double
    /// The watchdog firing to the finished report: the diagnosis alone.
    public let fromWatchdog: Double
}
