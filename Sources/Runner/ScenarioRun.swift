// One scenario, one seed, one VM: launch, perform the steps under the watchdogs, decide the
// verdict, diagnose a hang while the VM still lives, shut down, keep artifacts if it failed.
// Runs entirely on the calling thread (one thread per VM).
import Foundation
import HostSystem
import KTAP
import KernelSymbols
import QEMUMachine
import QMP
import Scenario
import Trend

public final class ScenarioRun {
    public let request: RunRequest
    let options: RunOptions
    var scenario: Scenario { request.scenario }
    let reactor = Reactor()
    var machine: QEMUMachine?
    var monitor: RunMonitor?
    /// The step being performed, for messages ("step 2 (line 14)").
    var currentStep: (index: Int, step: Located<Step>)?
    /// How long the hang diagnosis took, when there was one.
    var diagnosisTiming: DiagnosisTiming?
    /// The scenario's `gdb:` steps' connection, closed before a diagnosis or a person needs the stub.
    var gdbSteps: GDBSteps?
    /// The run-queue delay of QEMU's vCPU threads, sampled as lines arrive (HostStarvation.swift).
    var hostStarvation: HostStarvation?
    /// The screenshots taken (ScenarioRun+Screen.swift), and the PNG files written of them.
    let screen = ScreenRecorder()
    var screenArtifacts: [String] = []
    /// Called with each serial line (progress display, --verbose).
    public var onLine: ((SerialLine) -> Void)?
    /// Called once the VM is up, before the guest runs (tests use it to reach the process).
    public var onLaunch: ((QEMUMachine) -> Void)?
    /// Called when a hang diagnosis of the live VM begins (progress display).
    public var onDiagnosis: ((Watchdog) -> Void)?

    public init(_ request: RunRequest, options: RunOptions) {
        self.request = request
        self.options = options
    }

    /// This run's own artifacts folder, claimed in `execute` (see `claimArtifactsFolder`).
    public private(set) var artifactsPath = ""

    public func execute() -> RunResult {
        let started = MonotonicInstant.now
        artifactsPath = claimArtifactsFolder()
        var verdict = run()
        let duration = MonotonicInstant.now.seconds(since: started)
        let instructions = readInstructionCount()
        let starved = hostStarvation?.verdict()
        if let starved, starved.starved, !verdict.isSuccess { verdict.details.insert("host-starved: \(starved.figures)", at: 0) }
        if verdict.watchdog != nil, let measured = monitor?.guestLimits?.lastFiring {
            verdict.details.insert("measured in guest time: \(measured)", at: 0)
        }

        var result = RunResult(
            scenario: scenario, seed: request.seed, attempt: request.attempt, verdict: verdict,
            duration: duration, rerunCommand: rerunCommand)
        if let monitor {
            // KTAP cases become report cases only where KTAP is the point: a scenario expecting a
            // panic inside a crash test has, by design, a suite that never finishes.
            if monitor.ktap.hasStarted && scenario.expectation == .ktapAllPass {
                var parser = monitor.ktap
                parser.finish()
                result.ktap = parser.document
            }
            result.firstSerialLineAfter = monitor.firstLineAt.map { $0.seconds(since: options.harnessStartedAt) }
            result.captures = monitor.captures
        }
        result.properties = properties(firstSerialLineAfter: result.firstSerialLineAfter)
        if let cpusOnline {
            let asked = scenario.machine.vcpus
            result.properties.append(("cpus.online", String(cpusOnline)))
            if cpusOnline < asked {
                result.warnings.append(
                    "the guest reports \(cpusOnline) CPUs online, \(asked) asked for (its profile's contract.cpus-online: \(scenario.contract.cpusOnline!))"
                )
            }
        }
        result.diagnosisTiming = diagnosisTiming
        gdbSteps?.close()
        if !verdict.isSuccess, usesScreen, let screens = keepRecentScreens() {
            verdict.details.append(screens)
            result.verdict = verdict
        }
        if let machine {
            if !verdict.isSuccess && options.keepVMOnFailure && machine.isRunning {
                keepForInspection(machine)
            }
            machine.shutdown()
            result.serialHead = machine.serial.headLines
            result.serialTail = machine.serial.tailLines
            result.omittedSerialLines = machine.serial.omittedLineCount
            result.serialBytes = machine.serial.totalBytes
            let symbolized = symbolizedBacktraceDetails(result)
            if !symbolized.isEmpty {
                verdict.details += symbolized
                result.verdict = verdict
            }
            result.properties += deterministicProperties(instructions: instructions)
            if let starved { result.properties.append(("host.starved", "\(starved.starved ? "yes" : "no"): \(starved.figures)")) }
            if verdict.kind == .crash || verdict.kind == .launchFailure, !machine.stderrTail.isEmpty {
                verdict.details.append("QEMU stderr:\n" + machine.stderrTail)
                result.verdict = verdict
            }
        }
        var keep: [String] = []
        if let spec = scenario.trend {
            let check = TrendCheck(spec, series: monitor?.trend, scenario: scenario.name, seed: request.seed)
            if let failure = check.failure, verdict.isSuccess {
                verdict = Verdict(.failed, .assertionFailed, failure)
                result.verdict = verdict
            }
            let plot = "\(artifactsPath)/\(spec.plot)"
            if (try? check.svg.write(toFile: plot, atomically: true, encoding: .utf8)) != nil {
                keep.append(spec.plot)
                result.properties += check.properties + [("trend.plot", plot)]
            }
        }
        if verdict.status == .passed || verdict.status == .skipped {
            removeArtifacts(keeping: keep + screenArtifacts + (options.keepSerialLog ? ["serial.log"] : []))
        } else {
            if let failure = machine?.serial.logFailure { artifactProblems.append("\(failure)") }
            if let machine, machine.profile.record {
                result.verdict.details += keepRecording(machine)
                verdict = result.verdict
            }
            writeArtifacts(result)
            writeSymbolizedLog()
            result.artifacts = artifactsPath
            if !artifactProblems.isEmpty {
                result.verdict.details.append("artifacts incomplete: " + artifactProblems.joined(separator: "; "))
            }
        }
        return result
    }

    // MARK: the run

    private func run() -> Verdict {
        var profile = runProfile
        if let accelerator = options.accelerator { profile.accelerator = accelerator }
        // The person's QEMU (--qemu) over the name a scenario gives.
        if let qemu = options.qemuBinary { profile.qemuBinary = qemu }
        // Every run has a gdbstub: hang diagnosis reads the frozen machine through it.
        profile.gdbStub = true
        if options.keepVMOnFailure { profile.humanMonitor = true }
        if profile.record, let problem = ReplayRecording.problem(recording: profile) {
            return Verdict(.error, .launchFailure, "\(scenario.file): \(problem)")
        }
        if let kernel = profile.kernel, let failure = options.failedBuilds[kernel] {
            return Verdict(.error, .launchFailure, "the kernel image \(kernel) was not built: \(failure)")
        }
        if let kernel = profile.kernel, !FileManager.default.fileExists(atPath: kernel) {
            return Verdict(.error, .infrastructure, "kernel image \(kernel) does not exist (run `make kernel`)")
        }
        let machine: QEMUMachine
        do {
            // Without its artifacts folder (a full disk) the run still runs, unlogged.
            let serialLog = artifactProblems.isEmpty ? "\(artifactsPath)/serial.log" : nil
            machine = try QEMUMachine.launch(
                profile, reactor: reactor, serialLog: serialLog,
                serialLogLimit: options.artifactLimit)
        } catch let error as LaunchError {
            return Verdict(.error, .launchFailure, error.description)
        } catch is Interrupted {
            return interrupted()
        } catch {
            return Verdict(.error, .infrastructure, "could not start QEMU: \(error)")
        }
        self.machine = machine
        if profile.record { machine.recordingDestination = artifactsPath }
        onLaunch?(machine)
        let monitor = RunMonitor(scenario: scenario, serial: machine.serial)
        self.monitor = monitor
        // Inside its sandbox QEMU is bubblewrap's child: its vCPU threads are QEMU's own.
        hostStarvation = HostStarvation(pid: machine.qemuProcessID ?? machine.process.pid)
        monitor.onLine = { [weak self] line in
            self?.noteCPUsOnline(line.text)
            self?.hostStarvation?.sample()
            self?.onLine?(line)
        }
        machine.serial.onLine = { [weak monitor] line in monitor?.observe(line) }
        machine.qmp.onEvent = { [weak monitor] event in monitor?.observe(event) }
        machine.onExit = { [weak monitor] status in monitor?.exited(status) }
        monitor.guestLimits = guestTimeLimits(for: machine)

        do {
            try machine.resume()
            stepsStarted = true
            for (index, step) in scenario.steps.enumerated() {
                currentStep = (index, step)
                if let failure = try perform(step.value) { return failure }
            }
            currentStep = nil
            return try finish()
        } catch let fired as WatchdogFired {
            return judge(fired.watchdog)
        } catch is RunEnded {
            return judgeEndDuringSteps()
        } catch is Interrupted {
            return interrupted()
        } catch let error as QMPError {
            if case .connectionClosed = error, waitBrieflyForExit() { return judgeEnd() }
            return Verdict(.error, .infrastructure, "\(stepName): \(error)")
        } catch {
            return Verdict(.error, .infrastructure, "\(stepName): \(error)")
        }
    }

    /// After the run ended, the steps that only read what already arrived (serial lines,
    /// QMP events, captures, assertions) run on against it, from the one that was waiting; the first other
    /// step ends the check. Returns the failure, if one of them fails or its line never came.
    func finishLineStepsAfterEnd() -> Verdict? {
        guard let (first, _) = currentStep else { return nil }
        for index in first..<scenario.steps.count {
            let step = scenario.steps[index]
            switch step.value {
            case .waitSerial, .capture, .assert, .waitEvent: break
            default: return nil
            }
            currentStep = (index, step)
            do {
                if let failure = try perform(step.value) { return failure }
            } catch is RunEnded {
                return Verdict(.failed, .expectedLineMissing, "\(stepName): the run ended before \(describeCurrentStep())")
            } catch {
                return Verdict(.error, .infrastructure, "\(stepName): \(error)")
            }
        }
        currentStep = nil
        return nil
    }

    /// Runs the reactor until `condition` holds, the run ends, or a watchdog fires.
    private func wait(until condition: () -> Bool, stepTimeout: Double?, until extraDeadline: MonotonicInstant? = nil) throws {
        guard let monitor else { return }
        let stepDeadline = stepTimeout.map { MonotonicInstant.now.adding(seconds: $0) }
        while true {
            let satisfied = try reactor.run(
                until: {
                    if condition() { return true }
                    if monitor.hasEnded { throw RunEnded() }
                    try sampleScreenIfDue()
                    try monitor.checkWatchdogs(stepDeadline: stepDeadline, stepLimit: stepTimeout)
                    return false
                }, deadline: { monitor.nextDeadline(extraDeadline, stepDeadline: stepDeadline) })
            if satisfied { return }
            if let extraDeadline, MonotonicInstant.now >= extraDeadline, condition() { return }
            try monitor.checkWatchdogs(stepDeadline: stepDeadline, stepLimit: stepTimeout)
        }
    }

    /// Performs one step; returns a verdict when the step itself failed.
    private func perform(_ step: Step) throws -> Verdict? {
        guard let machine, let monitor else { return nil }
        let stepTimeout = scenario.watchdogs.step
        switch step {
        case .waitSerial(let pattern, let within):
            try wait(until: { monitor.takeLine(matching: pattern) != nil }, stepTimeout: within ?? stepTimeout)
        case .sendSerial(let text):
            // Deterministic mode: where the input met the guest, so two runs' reports show whether
            // it came at the same instruction (it does not: docs/harness.md, "Input").
            if machine.profile.schedule != nil, let index = currentStep?.index {
                let count = (try? machine.qmp.execute("query-replay", timeout: 5))?["icount"]?.intValue
                inputInstructions.append((index + 1, count))
            }
            try machine.serial.send(text + "\n")
        case .qmp(let command, let arguments, let expect, let expectError):
            // Count it before sending: the STOP event can arrive before the reply.
            if command == "stop" { monitor.stopsRequested += 1 }
            do {
                let result = try machine.qmp.execute(command, arguments: arguments, timeout: stepTimeout)
                if let expectError {
                    return Verdict(
                        .failed, .assertionFailed, "\(stepName): \(command) succeeded (\(result)), expected error \(expectError)")
                }
                if let expect, !result.contains(expect) {
                    return Verdict(
                        .failed, .assertionFailed, "\(stepName): \(command) returned \(result), expected it to contain \(expect)")
                }
            } catch QMPError.refused(_, let errorClass, let description) {
                if errorClass != expectError {
                    return Verdict(
                        .failed, .assertionFailed, "\(stepName): QEMU refused \(command): \(errorClass): \(description)")
                }
            }
        case .waitEvent(let name, let data, let within):
            try wait(until: { monitor.takeEvent(name, data: data) != nil }, stepTimeout: within ?? stepTimeout)
        case .pause(let seconds):
            let end = MonotonicInstant.now.adding(seconds: seconds)
            try wait(until: { MonotonicInstant.now >= end }, stepTimeout: nil, until: end)
        case .capture(let pattern, let name, let within):
            var captured: SerialLine?
            try wait(
                until: {
                    captured = monitor.takeSerialLine(matching: pattern)
                    return captured != nil
                }, stepTimeout: within ?? stepTimeout)
            if let captured, monitor.capture(captured.text, as: name, at: captured.time) == 0 {
                return Verdict(.failed, .assertionFailed, "\(stepName): the line '\(captured.text)' holds no key=value numbers")
            }
        case .assert(let assertion):
            return rules.check(assertion, captures: monitor.captures, at: stepPlace)
        case .screen(let screenStep):
            return try perform(screenStep)
        case .gdb(let gdbStep):
            let steps = gdbSteps ?? GDBSteps(machine: machine, monitor: monitor)
            gdbSteps = steps
            if let failure = try steps.perform(gdbStep, timeout: stepTimeout) {
                return Verdict(.failed, .assertionFailed, "\(stepName): \(failure)")
            }
        }
        return nil
    }

    /// After the steps: wait for the end the scenario expects.
    private func finish() throws -> Verdict {
        guard let monitor else { return judgeEnd() }
        if monitor.hasEnded { return judgeEnd() }
        if let verdict = rules.stepsDone() { return verdict }
        try wait(until: { false }, stepTimeout: nil)
        return judgeEnd()
    }

    // MARK: verdicts (ScenarioRun+Verdicts.swift), artifacts (ScenarioRun+Artifacts.swift)

    /// Artifacts that could not be written (a full disk): the verdict stands, these join it.
    var artifactProblems: [String] = []

    /// Set once the guest runs: before, a problem is one of boot.
    var stepsStarted = false

    /// The CPU count the guest reported, read with its profile's `contract.cpus-online` (the first report).
    var cpusOnline: Int?
    /// Deterministic mode: each send-serial step's number and the instruction count when its
    /// input was written (nil when QEMU could not say).
    var inputInstructions: [(step: Int, instructions: Int64?)] = []

    private func noteCPUsOnline(_ line: String) {
        guard cpusOnline == nil, let count = scenario.contract.onlineCPUs(in: line) else { return }
        cpusOnline = count
    }

}
