// A run in deterministic mode: what the report says about it (the mode, every schedule knob,
// whether the steps kept it replayable, the instruction count at the verdict) and the serial
// log's hash that every run carries.
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
        return GuestTimeLimits(shift: schedule.shift,
                               readInstructions: { [weak machine] in
                                   guard let machine, machine.isRunning else { return nil }
                                   return (try? machine.qmp.execute("query-replay", timeout: 5))?["icount"]?.intValue
                               },
                               drainConsole: { [weak machine] in machine?.serial.drain() })
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
                list.append(("schedule.cmdline", profile.scheduleCommandLine.replacingOccurrences(of: "{schedule}", with: String(schedule.salt))))
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
        }
        if let serial = machine?.serial {
            list.append(("serial.sha256", serial.sha256))
            list.append(("serial.bytes", String(serial.totalBytes)))
        }
        return list
    }
}
