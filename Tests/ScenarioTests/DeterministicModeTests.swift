// `machine: {mode: deterministic}`: what the parser takes and refuses, and the schedule a seed
// picks.
import Foundation
import QEMUMachine
import Testing

@testable import Scenario

@Suite struct DeterministicModeTests {
    private var profiles: ProfileLibrary {
        var machine = MachineProfile()
        machine.kernel = "/k/kernel.img"
        machine.scheduleCommandLine = "tick_jitter={schedule}"
        return ProfileLibrary(profiles: ["default": .init(machine: machine, never: [])], file: nil)
    }

    private func refusal(_ text: String) -> String? {
        do {
            _ = try ScenarioParser.parse(text, file: "d.yaml", profiles: profiles)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theSeedPicksTheScheduleAndTheCommandLineGetsIt() throws {
        let scenario = try ScenarioParser.parse(
            "machine: {mode: deterministic, cmdline: \"seed={seed}\"}\nexpect: running\n",
            file: "d.yaml", profiles: profiles)
        let machine = scenario.machine(seed: 7)
        let schedule = try #require(machine.schedule)
        #expect(schedule == DeterministicSchedule(seed: 7))
        #expect(DeterministicSchedule.shiftRange.contains(schedule.shift))
        #expect(machine.accelerator == .tcg)
        #expect(machine.commandLine == "seed=7 tick_jitter=\(schedule.salt)")
        let arguments = QEMUCommandLine.arguments(
            for: machine, accelerator: AcceleratorChoice.resolve(.tcg),
            sockets: .init(directory: "/d", gdb: false))
        #expect(arguments.contains("tcg,thread=single"))
        #expect(arguments.contains("shift=\(schedule.shift),sleep=off"))
        #expect(arguments.contains("clock=vm,base=\(DeterministicSchedule.rtcBase)"))
    }

    @Test func seedsSpreadOverEveryShift() {
        let shifts = Set((1...200).map { DeterministicSchedule(seed: UInt64($0)).shift })
        #expect(shifts == Set(DeterministicSchedule.shiftRange))
        #expect(DeterministicSchedule(seed: 5).shift == 4)
    }

    @Test func standardModeIsUntouchedAndRunLevelFlagTurnsItOn() throws {
        let scenario = try ScenarioParser.parse(
            "machine: {cmdline: \"seed={seed}\"}\nexpect: running\n",
            file: "d.yaml", profiles: profiles)
        #expect(scenario.machine(seed: 3).schedule == nil)
        #expect(scenario.machine(seed: 3).commandLine == "seed=3")
        #expect(scenario.machine(seed: 3, deterministic: true).schedule == DeterministicSchedule(seed: 3))
    }

    @Test func whatBreaksReplayIsRefusedWithItsLine() {
        #expect(
            refusal("machine: {mode: deterministic}\nsteps:\n  - wait-serial: ready\n  - qmp: stop\nexpect: running\n")
                == "d.yaml:4: not allowed in deterministic mode: QMP stop acts on the machine at a host-chosen moment (only query-*, qom-get, qom-list and 'info' keep a run deterministic)"
        )
        #expect(
            refusal("machine: {mode: deterministic}\nsteps:\n  - qmp: inject-nmi\nexpect: running\n")?.hasPrefix(
                "d.yaml:3: not allowed in deterministic mode: QMP inject-nmi") == true)
        #expect(
            refusal("machine: {mode: deterministic}\nsteps:\n  - gdb: stop\nexpect: running\n")
                == "d.yaml:3: not allowed in deterministic mode: gdb steps stop the machine at host-chosen moments")
        #expect(
            refusal("machine: {mode: deterministic, accel: kvm}\nexpect: running\n")?.contains("cannot use accel kvm") == true)
        #expect(
            refusal("machine: {mode: deterministic, qemu-args: [-icount, shift=1]}\nexpect: running\n")?.contains(
                "-icount is set by machine.mode deterministic") == true)
        #expect(
            refusal("machine: {mode: fast}\nexpect: running\n")
                == "d.yaml:1: machine.mode must be standard or deterministic, not 'fast'")
    }

    @Test func readOnlyStepsAndInputAreTaken() throws {
        let scenario = try ScenarioParser.parse(
            """
            machine: {mode: deterministic}
            steps:
              - qmp: query-status
              - qmp: {execute: human-monitor-command, arguments: {command-line: info registers}}
              - send-serial: stats
            expect: running
            """, file: "d.yaml", profiles: profiles)
        let limit = try #require(DeterminismRules.firstLimit(scenario.steps))
        #expect(limit.line == 5)
        #expect(limit.effect == .endsReplay("send-serial delivers input at a host-chosen moment"))
    }
}
