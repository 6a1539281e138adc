// A run in deterministic mode: what the report says about it (the mode, every schedule knob,
// whether the steps kept it replayable, the instruction count at the verdict) and the serial
// log's hash that every run carries.
import Crypto
import Foundation
import QEMUMachine
import QMP
import Scenario

extension ScenarioRun {
    /// The machine of this run: the scenario's, in deterministic mode when the scenario or
    /// `--deterministic` asks for it.
    var runProfile: MachineProfile {
        var profile = scenario.machine(seed: request.seed, deterministic: options.deterministic || options.record)
        profile.record = options.record
        return profile
    }

    /// Whether this run replays by its seed: "yes", "until step N (line L): why", or "no: why".
    var replayability: String? {
        guard runProfile.schedule != nil else { return nil }
        guard let limit = DeterminismRules.firstLimit(scenario.steps) else { return "yes" }
        let index = (scenario.steps.firstIndex { $0.line == limit.line } ?? 0) + 1
        switch limit.effect {
        case .keeps: return "yes"
        case .endsReplay(let why): return "until step \(index) (line \(limit.line)): \(why)"
        case .breaks(let why): return "no: step \(index) (line \(limit.line)): \(why)"
        }
    }

    /// Reads QEMU's instruction counter (QMP `query-replay`, whose `icount` QEMU 7.2 reports in
    /// any icount run, record/replay or not) while the VM still lives: called at the verdict,
    /// when nothing the guest does any more can change it. nil once QEMU has exited.
    func readInstructionCount() -> Int64? {
        guard let machine, machine.isRunning, runProfile.schedule != nil else { return nil }
        return (try? machine.qmp.execute("query-replay", timeout: 5))?["icount"]?.intValue
    }

    /// Deterministic mode's limits in guest time, reading this machine's instruction counter.
    func guestTimeLimits(for machine: QEMUMachine) -> GuestTimeLimits? {
        guard let schedule = machine.profile.schedule else { return nil }
        return GuestTimeLimits(
            shift: schedule.shift,
            readInstructions: { [weak machine] in
                guard let machine, machine.isRunning else { return nil }
                return (try? machine.qmp.execute("query-replay", timeout: 5))?["icount"]?.intValue
            },
            drainConsole: { [weak machine] in machine?.serial.drain() })
    }

    /// The part of a run with input that replays by seed: the console up to the line the last
    /// `wait-serial` or `capture` before the first `send-serial` matched (the guest printed it
    /// before any input could reach it), hashed like `serial.sha256` (timestamps excluded, one
    /// newline a line), with its line count and that step's number. nil without input, or when
    /// the log is missing or never reached that line.
    func consoleBeforeInput() -> (sha256: String, lines: Int, step: Int)? {
        guard
            let firstInput = scenario.steps.firstIndex(where: {
                if case .sendSerial = $0.value { return true } else { return false }
            }),
            let log = Reproduction.lines(ofLog: "\(artifactsPath)/serial.log")
        else { return nil }
        var position = 0
        var end: Int?
        var step = 0
        for (index, located) in scenario.steps[..<firstInput].enumerated() {
            let pattern: Pattern
            switch located.value {
            case .waitSerial(let p, _), .capture(let p, _, _): pattern = p
            default: continue
            }
            guard let match = log[position...].firstIndex(where: { pattern.matches($0) }) else { return nil }
            position = match + 1
            end = match
            step = index + 1
        }
        guard let end else { return nil }
        var digest = SHA256()
        for line in log[...end] { digest.update(data: Data((line + "\n").utf8)) }
        return (digest.finalize().map { String(format: "%02x", $0) }.joined(), end + 1, step)
    }

    /// `mode`, the schedule's knobs, replayability, instructions at the verdict, and the serial
    /// hash (every run, so any two reports can be compared).
    func deterministicProperties(instructions: Int64?) -> [(name: String, value: String)] {
        var list: [(String, String)] = []
        let profile = runProfile
        list.append(("mode", profile.mode.rawValue))
        if let schedule = profile.schedule {
            list.append(("icount.shift", String(schedule.shift)))
            list.append(("schedule.salt", String(schedule.salt)))
            if !profile.scheduleCommandLine.isEmpty {
                list.append(
                    (
                        "schedule.cmdline",
                        profile.scheduleCommandLine.replacingOccurrences(of: "{schedule}", with: String(schedule.salt))
                    ))
            }
            let pipeProblem = machine?.serial.pipe?.problem
            var replay = pipeProblem.map { "no: \($0)" } ?? replayability ?? "yes"
            // The guest was still running when the harness ended the run: the console replays up
            // to a host-chosen end.
            if replay == "yes", instructions != nil {
                replay = "yes, up to the verdict (the harness ended the run at a host-chosen moment)"
            }
            list.append(("deterministic", replay))
            list.append(("icount.instructions", instructions.map(String.init) ?? "unavailable: QEMU had exited at the verdict"))
            if let prefix = consoleBeforeInput() {
                list.append(
                    (
                        "serial.sha256.before-input",
                        "\(prefix.sha256) (\(prefix.lines) lines, to the line step \(prefix.step) waited for)"
                    ))
            }
            if !inputInstructions.isEmpty {
                list.append(
                    (
                        "input.instructions",
                        inputInstructions.map { "step \($0.step) at \($0.instructions.map(String.init) ?? "?")" }
                            .joined(separator: ", ")
                    ))
            }
        }
        if let serial = machine?.serial {
            list.append(("serial.sha256", serial.sha256))
            list.append(("serial.bytes", String(serial.totalBytes)))
        }
        return list
    }
}
