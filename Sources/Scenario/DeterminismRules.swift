// What a deterministic run may do. Replay by seed holds only while nothing from the host reaches
// the machine at a host-chosen moment: QMP `stop`/`cont` and `inject-nmi` made runs diverge (3/3
// and 2/2), and a gdb connection stops the machine like `stop`. Read-only QMP queries did not.
// A scenario that asks for `mode: deterministic` and does one of those is refused with
// `file:line`; under `--deterministic` such a run still runs, marked as not deterministic with the
// step that breaks it. Serial input is host-timed too, but the run replays exactly up to it.
import Foundation
import QEMUMachine
import Yams

public enum DeterminismRules {
    public enum Effect: Equatable {
        /// The step leaves the execution alone.
        case keeps
        /// The run replays exactly up to this step; what follows depends on when it came.
        case endsReplay(String)
        /// The step acts on the machine at a host-chosen moment: no replay at all.
        case breaks(String)
    }

    /// QMP commands that only read: the harness may send them in deterministic mode.
    public static func isReadOnly(_ command: String, commandLine: String? = nil) -> Bool {
        if command.hasPrefix("query-") || command == "qom-get" || command == "qom-list" { return true }
        if command == "human-monitor-command" {
            return commandLine?.trimmingCharacters(in: .whitespaces).hasPrefix("info ") ?? false
        }
        return false
    }

    public static func effect(of step: Step) -> Effect {
        switch step {
        case .sendSerial:
            return .endsReplay("send-serial delivers input at a host-chosen moment")
        case .qmp(let command, let arguments, _, _):
            let commandLine = arguments?.objectValue?["command-line"]?.stringValue
            if isReadOnly(command, commandLine: commandLine) { return .keeps }
            return .breaks(
                "QMP \(command) acts on the machine at a host-chosen moment (only query-*, qom-get, qom-list and 'info' keep a run deterministic)"
            )
        case .gdb:
            return .breaks("gdb steps stop the machine at host-chosen moments")
        default:
            return .keeps
        }
    }

    /// How a scenario's steps leave a deterministic run: nil when it replays whole, else the
    /// first step that limits it, with its line and what it does.
    public static func firstLimit(_ steps: [Located<Step>]) -> (line: Int, effect: Effect)? {
        for step in steps {
            let effect = effect(of: step.value)
            if effect != .keeps { return (step.line, effect) }
        }
        return nil
    }

    /// QEMU options a deterministic scenario may not set itself: the mode sets them.
    static let optionsSetByMode = ["-icount", "-rtc", "-accel", "-enable-kvm"]
}

extension ScenarioParser {
    static func applyMode(_ key: String, _ node: Node, to machine: inout MachineProfile, reader: YAMLReader) throws {
        if key == "schedule-cmdline" {
            machine.scheduleCommandLine = try reader.string(node, "machine.schedule-cmdline")
            if let problem = IsolationRules.textProblem(machine.scheduleCommandLine) {
                throw reader.error(node, "machine.schedule-cmdline: \(problem)")
            }
            return
        }
        let text = try reader.string(node, "machine.mode")
        guard let mode = MachineMode(rawValue: text) else {
            throw reader.error(
                node, "machine.mode must be \(MachineMode.allCases.map(\.rawValue).joined(separator: " or ")), not '\(text)'")
        }
        machine.mode = mode
    }

    /// A scenario that asks for deterministic mode must not do what breaks it.
    static func checkDeterministic(_ machine: MachineProfile, steps: [Located<Step>], node: Node, reader: YAMLReader) throws {
        guard machine.mode == .deterministic else { return }
        if machine.accelerator == .kvm {
            throw reader.error(node, "machine.mode deterministic runs on TCG (one thread, icount); it cannot use accel kvm")
        }
        if let option = machine.extraArguments.first(where: { DeterminismRules.optionsSetByMode.contains($0) }) {
            throw reader.error(node, "machine.qemu-args: \(option) is set by machine.mode deterministic itself")
        }
        if let limit = DeterminismRules.firstLimit(steps), case .breaks(let why) = limit.effect {
            throw reader.error(line: limit.line, "not allowed in deterministic mode: \(why)")
        }
    }
}
