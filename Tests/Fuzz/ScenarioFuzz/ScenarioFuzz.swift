// libFuzzer target for scenario files: YAML text through Yams into a Scenario, with machine
// profiles. Only the text layer (ScenarioParser.parseText, ProfileLibrary.parse): no file is read,
// no kernel image opened for symbols. An input is a scenario file, optionally followed by a NUL
// byte and a profiles.yaml (NUL cannot occur in YAML, so the split is unambiguous).
// Invariants: a refusal names a line of the input; a scenario that parses has finite,
// non-negative times, a memory size and vCPU count QEMU can take, and no more steps than lines;
// its files lie in the scenario root (/fuzz), and what goes to QEMU is the re-encoded form
// (no control character, no JSON form, escape or path in a device). The hostile corpus
// (Tests/HostileScenarios) is among the seeds.
import FuzzSupport
import QEMUMachine
import Scenario

/// The fuzzed files' root: /fuzz/scenarios/... and /fuzz/build/... are inside, nothing else.
private let confinement = PathConfinement(root: "/fuzz")

/// Used when the input has no profiles of its own: like scenarios/profiles.yaml.
private let repositoryProfiles = try! ProfileLibrary.parse(
    """
    default:
      kernel: ../build/kernel/kernel.img
      vcpus: 4
      memory: 128M
      accel: tcg
      never:
        - "Allocation failure:"
    """, file: "/fuzz/scenarios/profiles.yaml", confinement: confinement)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScenario(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = FuzzInput(data, size).bytes
    let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
    let scenarioText = String(decoding: parts[0], as: UTF8.self)
    var profiles = repositoryProfiles
    if parts.count == 2 {
        let profilesText = String(decoding: parts[1], as: UTF8.self)
        do {
            profiles = try ProfileLibrary.parse(profilesText, file: "/fuzz/scenarios/profiles.yaml", confinement: confinement)
            for profile in profiles.profiles.values { checkMachine(profile.machine) }
        } catch let error as ScenarioError {
            checkRefusal(error, text: profilesText)
            return 0
        } catch {
            require(false, "profiles refused with an error that is not a ScenarioError: \(error)")
        }
    }
    do {
        let scenario = try ScenarioParser.parseText(
            scenarioText, file: "/fuzz/scenarios/fuzz.yaml", profiles: profiles,
            confinement: confinement)
        checkMachine(scenario.machine)
        let lines = lineCount(scenarioText)
        require(scenario.steps.count <= lines, "\(scenario.steps.count) steps from \(lines) lines")
        for step in scenario.steps {
            require((1...lines).contains(step.line), "a step on line \(step.line) of \(lines)")
            checkTimes(step.value)
        }
        let watchdogs = scenario.watchdogs
        for time in [watchdogs.deadline, watchdogs.step, watchdogs.silence, watchdogs.progress?.within].compactMap({ $0 }) {
            checkTime(time)
        }
    } catch let error as ScenarioError {
        checkRefusal(error, text: scenarioText)
    } catch {
        require(false, "scenario refused with an error that is not a ScenarioError: \(error)")
    }
    return 0
}

private func lineCount(_ text: String) -> Int { ScenarioError.lineCount(text) }

private func checkRefusal(_ error: ScenarioError, text: String) {
    require((1...lineCount(text)).contains(error.line), "refusal on line \(error.line) of \(lineCount(text)): \(error)")
    require(!error.reason.isEmpty, "a refusal without a reason")
}

private func checkMachine(_ machine: MachineProfile) {
    require((1...255).contains(machine.vcpus), "\(machine.vcpus) vCPUs")
    require(machine.memoryMiB > 0, "\(machine.memoryMiB) MiB of memory")
    for path in (machine.kernel.map { [$0] } ?? []) + machine.modules {
        require(confinement.contains(path), "\(path) is outside the root")
    }
    for word in machine.devices + machine.extraArguments + [machine.cpuModel ?? "", machine.commandLine] {
        require(
            !word.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "a control character reaches QEMU: \(word)")
    }
    for device in machine.devices {
        require(!device.hasPrefix("{") && !device.contains(",,") && !device.contains("/"), "\(device) is not in re-encoded form")
    }
    require(!machine.qemuBinary.contains("/"), "machine.qemu is a path: \(machine.qemuBinary)")
}

private func checkTimes(_ step: Step) {
    switch step {
    case .waitSerial(_, let within?), .waitEvent(_, _, let within?), .capture(_, _, let within?): checkTime(within)
    case .pause(let seconds): checkTime(seconds)
    case .gdb(.breakAt(_, _, let within?)): checkTime(within)
    default: break
    }
}

private func checkTime(_ seconds: Double) {
    require(seconds.isFinite && seconds >= 0, "a time of \(seconds) seconds")
}
