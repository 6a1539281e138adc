// One scenario, one seed, one VM: launch, perform the steps under the watchdogs, decide the
// verdict, diagnose a hang while the VM still lives, shut down, keep artifacts if it failed.
// Runs entirely on the calling thread (one thread per VM).
import Foundation
import HostSystem
import KernelSymbols
import KTAP
import QEMUMachine
import QMP
import Scenario
import Trend

public final class ScenarioRun {
    public let request: RunRequest
    private let options: RunOptions
    private var scenario: Scenario { request.scenario }
    private let reactor = Reactor()
    private var machine: QEMUMachine?
    private var monitor: RunMonitor?
    /// The step being performed, for messages ("step 2 (line 14)").
    private var currentStep: (index: Int, step: Located<Step>)?
    /// How long the hang diagnosis took, when there was one.
    private var diagnosisTiming: DiagnosisTiming?
    /// The scenario's `gdb:` steps' connection, closed before a diagnosis or a person needs the stub.
    private var gdbSteps: GDBSteps?
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

    /// Creates `<name>-seed<N>[-r<repeat>]`, or with `.2`, `.3`, ... when a folder of that name
    /// is already there (an earlier failure rerun with the same seed): a passing rerun removes
    /// only its own folder, never the evidence of the failure it reran.
    private func claimArtifactsFolder() -> String {
        let safeName = scenario.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        let repeatPart = request.attempt > 1 ? "-r\(request.attempt)" : ""
        let base = "\(options.artifactsDirectory)/\(String(safeName))-seed\(request.seed)\(repeatPart)"
        try? FileManager.default.createDirectory(atPath: options.artifactsDirectory, withIntermediateDirectories: true)
        for index in 1...1000 {
            let candidate = index == 1 ? base : "\(base).\(index)"
            if mkdir(candidate, 0o755) == 0 { return candidate }
            if errno != EEXIST {
                artifactProblems.append("\(SystemError("mkdir", detail: candidate))")
                break
            }
        }
        return base
    }

    /// Artifacts that could not be written (a full disk): the verdict stands, these join it.
    private var artifactProblems: [String] = []

    /// Writes `text` to the artifact `name`, noting a failure instead of hiding it.
    private func writeArtifact(_ name: String, _ text: String) {
        do {
            try text.write(toFile: "\(artifactsPath)/\(name)", atomically: true, encoding: .utf8)
        } catch {
            artifactProblems.append("\(name): \(fileErrorText(error))")
        }
    }

    public var rerunCommand: String {
        var words = [options.rerunPrefix, shellQuoted(scenario.file), "--seed", String(request.seed)]
        if let accel = options.accelerator { words += ["--accel", accel.rawValue] }
        return words.joined(separator: " ")
    }

    public func execute() -> RunResult {
        let started = MonotonicInstant.now
        artifactsPath = claimArtifactsFolder()
        var verdict = run()
        let duration = MonotonicInstant.now.seconds(since: started)

        var result = RunResult(scenario: scenario, seed: request.seed, attempt: request.attempt, verdict: verdict,
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
        result.diagnosisTiming = diagnosisTiming
        gdbSteps?.close()
        if let machine {
            if !verdict.isSuccess && options.keepVMOnFailure && machine.isRunning {
                keepForInspection(machine)
            }
            machine.shutdown()
            result.serialHead = machine.serial.headLines
            result.serialTail = machine.serial.tailLines
            result.omittedSerialLines = machine.serial.omittedLineCount
            result.serialBytes = machine.serial.totalBytes
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
            removeArtifacts(keeping: keep)
        } else {
            if let failure = machine?.serial.logFailure { artifactProblems.append("\(failure)") }
            writeArtifacts(result)
            result.artifacts = artifactsPath
            if !artifactProblems.isEmpty {
                result.verdict.details.append("artifacts incomplete: " + artifactProblems.joined(separator: "; "))
            }
        }
        return result
    }

    // MARK: the run

    private func run() -> Verdict {
        var profile = scenario.machine(seed: request.seed)
        if let accelerator = options.accelerator { profile.accelerator = accelerator }
        // Every run has a gdbstub: hang diagnosis reads the frozen machine through it.
        profile.gdbStub = true
        if options.keepVMOnFailure { profile.humanMonitor = true }
        if let kernel = profile.kernel, !FileManager.default.fileExists(atPath: kernel) {
            return Verdict(.error, .infrastructure, "kernel image \(kernel) does not exist (run `make kernel`)")
        }
        let machine: QEMUMachine
        do {
            // Without its artifacts folder (a full disk) the run still runs, unlogged.
            let serialLog = artifactProblems.isEmpty ? "\(artifactsPath)/serial.log" : nil
            machine = try QEMUMachine.launch(profile, reactor: reactor, serialLog: serialLog,
                                             serialLogLimit: options.artifactLimit)
        } catch let error as LaunchError {
            return Verdict(.error, .launchFailure, error.description)
        } catch is Interrupted {
            return interrupted()
        } catch {
            return Verdict(.error, .infrastructure, "could not start QEMU: \(error)")
        }
        self.machine = machine
        onLaunch?(machine)
        let monitor = RunMonitor(scenario: scenario, serial: machine.serial)
        self.monitor = monitor
        monitor.onLine = { [weak self] line in self?.onLine?(line) }
        machine.serial.onLine = { [weak monitor] line in monitor?.observe(line) }
        machine.qmp.onEvent = { [weak monitor] event in monitor?.observe(event) }
        machine.onExit = { [weak monitor] status in monitor?.exited(status) }

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
            return unfinishedSteps(judgeEnd())
        } catch is Interrupted {
            return interrupted()
        } catch let error as QMPError {
            if case .connectionClosed = error, waitBrieflyForExit() { return judgeEnd() }
            return Verdict(.error, .infrastructure, "\(stepName): \(error)")
        } catch {
            return Verdict(.error, .infrastructure, "\(stepName): \(error)")
        }
    }

    /// Runs the reactor until `condition` holds, the run ends, or a watchdog fires.
    private func wait(until condition: () -> Bool, stepTimeout: Double?, until extraDeadline: MonotonicInstant? = nil) throws {
        guard let monitor else { return }
        let stepDeadline = stepTimeout.map { MonotonicInstant.now.adding(seconds: $0) }
        let wake = [stepDeadline, extraDeadline].compactMap { $0 }.min()
        while true {
            let satisfied = try reactor.run(until: {
                if condition() { return true }
                if monitor.hasEnded { throw RunEnded() }
                try monitor.checkWatchdogs(stepDeadline: stepDeadline)
                return false
            }, deadline: { monitor.nextDeadline(wake) })
            if satisfied { return }
            if let extraDeadline, MonotonicInstant.now >= extraDeadline, condition() { return }
            try monitor.checkWatchdogs(stepDeadline: stepDeadline)
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
            try machine.serial.send(text + "\n")
        case .qmp(let command, let arguments, let expect, let expectError):
            // Count it before sending: the STOP event can arrive before the reply.
            if command == "stop" { monitor.stopsRequested += 1 }
            do {
                let result = try machine.qmp.execute(command, arguments: arguments, timeout: stepTimeout)
                if let expectError {
                    return Verdict(.failed, .assertionFailed, "\(stepName): \(command) succeeded (\(result)), expected error \(expectError)")
                }
                if let expect, !result.contains(expect) {
                    return Verdict(.failed, .assertionFailed, "\(stepName): \(command) returned \(result), expected it to contain \(expect)")
                }
            } catch QMPError.refused(_, let errorClass, let description) {
                if errorClass != expectError {
                    return Verdict(.failed, .assertionFailed, "\(stepName): QEMU refused \(command): \(errorClass): \(description)")
                }
            }
        case .waitEvent(let name, let data, let within):
            try wait(until: { monitor.takeEvent(name, data: data) != nil }, stepTimeout: within ?? stepTimeout)
        case .pause(let seconds):
            let end = MonotonicInstant.now.adding(seconds: seconds)
            try wait(until: { MonotonicInstant.now >= end }, stepTimeout: nil, until: end)
        case .capture(let pattern, let name, let within):
            var captured: SerialLine?
            try wait(until: {
                captured = monitor.takeSerialLine(matching: pattern)
                return captured != nil
            }, stepTimeout: within ?? stepTimeout)
            if let captured, monitor.capture(captured.text, as: name, at: captured.time) == 0 {
                return Verdict(.failed, .assertionFailed, "\(stepName): the line '\(captured.text)' holds no key=value numbers")
            }
        case .assert(let assertion):
            return check(assertion, captures: monitor.captures)
        case .gdb(let gdbStep):
            let steps = gdbSteps ?? GDBSteps(machine: machine, monitor: monitor)
            gdbSteps = steps
            if let failure = try steps.perform(gdbStep, timeout: stepTimeout) {
                return Verdict(.failed, .assertionFailed, "\(stepName): \(failure)")
            }
        }
        return nil
    }

    private func check(_ assertion: Assertion, captures: [String: Int64]) -> Verdict? {
        guard let value = captures[assertion.value] else {
            return Verdict(.failed, .assertionFailed, "\(stepName): no captured value \(assertion.value) (captured: \(captures.keys.sorted().joined(separator: ", ")))")
        }
        let operand: Int64
        switch assertion.operand {
        case .number(let number): operand = number
        case .captured(let name):
            guard let captured = captures[name] else {
                return Verdict(.failed, .assertionFailed, "\(stepName): no captured value \(name)")
            }
            operand = captured
        }
        let holds: Bool
        switch assertion.comparison {
        case .equals: holds = value == operand
        case .below: holds = value < operand
        case .atMost: holds = value <= operand
        case .above: holds = value > operand
        case .atLeast: holds = value >= operand
        }
        if holds { return nil }
        let operandText: String
        switch assertion.operand {
        case .number(let number): operandText = String(number)
        case .captured(let name): operandText = "\(name) (\(operand))"
        }
        return Verdict(.failed, .assertionFailed,
                       "\(stepName): expected \(assertion.value) (\(value)) \(assertion.comparison.rawValue) \(operandText)")
    }

    /// After the steps: wait for the end the scenario expects.
    private func finish() throws -> Verdict {
        guard let monitor else { return judgeEnd() }
        if scenario.expectation == .running {
            if monitor.hasEnded { return judgeEnd() }
            return Verdict(.passed, .expected, "still running after the steps, as expected")
        }
        try wait(until: { false }, stepTimeout: nil)
        return judgeEnd()
    }

    // MARK: verdicts

    /// Set once the guest runs: before, a problem is one of boot.
    private var stepsStarted = false

    private var stepName: String {
        guard let currentStep else { return stepsStarted ? "after the steps" : "boot" }
        return "step \(currentStep.index + 1) (line \(currentStep.step.line))"
    }

    /// A watchdog fired while QEMU still ran.
    private func judge(_ watchdog: Watchdog) -> Verdict {
        guard let monitor else { return Verdict(.error, .infrastructure, "no machine") }
        if monitor.panicked { return judgeEnd() }
        var verdict: Verdict
        switch watchdog {
        case .serialSilence, .noProgress:
            let limit = watchdog == .serialSilence ? scenario.watchdogs.silence ?? 0 : scenario.watchdogs.progress?.within ?? 0
            let what = watchdog == .serialSilence ? "no serial output" : "no progress line"
            if scenario.expectation == .hang {
                verdict = Verdict(.passed, .expected, "hang diagnosed by \(watchdog.rawValue) (\(what) for \(limit)s), as expected",
                                  watchdog: watchdog)
            } else {
                verdict = Verdict(.error, .hang, "hang: \(what) for \(limit)s (\(watchdog.rawValue) watchdog) during \(stepName)",
                                  watchdog: watchdog)
            }
        case .stepDeadline:
            verdict = Verdict(.failed, .expectedLineMissing, "\(stepName): \(describeCurrentStep()) did not happen within its time",
                              watchdog: watchdog)
        default:
            verdict = Verdict(.error, .deadline, "the scenario deadline (\(scenario.watchdogs.deadline)s) passed during \(stepName)",
                              watchdog: watchdog)
        }
        gdbSteps?.close()
        let firedAt = MonotonicInstant.now
        let diagnosis = diagnoseIfRunning(watchdog)
        if !diagnosis.isEmpty, let machine {
            let done = MonotonicInstant.now
            diagnosisTiming = DiagnosisTiming(fromLastOutput: done.seconds(since: machine.serial.lastOutput),
                                              fromWatchdog: done.seconds(since: firedAt))
        }
        verdict.details += diagnosis
        if verdict.isSuccess, let missing = scenario.expectedDiagnosis.first(where: { pattern in !verdict.details.contains { pattern.matches($0) } }) {
            verdict = Verdict(.failed, .expectedLineMissing, "the hang was diagnosed, but no diagnosis line matched \(missing)",
                              watchdog: watchdog, details: verdict.details)
        }
        return verdict
    }

    /// The diagnoser's lines about the live VM (none once QEMU is gone or without a diagnoser).
    private func diagnoseIfRunning(_ watchdog: Watchdog) -> [String] {
        guard let machine, machine.isRunning, let diagnoser = options.diagnoser else { return [] }
        onDiagnosis?(watchdog)
        return diagnoser.diagnose(machine, watchdog: watchdog, artifacts: artifactsPath)
    }

    private func describeCurrentStep() -> String {
        guard let step = currentStep?.step.value else { return "the run" }
        switch step {
        case .waitSerial(let pattern, _): return "a serial line matching \(pattern)"
        case .capture(let pattern, let name, _): return "a line matching \(pattern) to capture as \(name)"
        case .waitEvent(let name, let data, _): return "QMP event \(name)\(data.map { " with \($0)" } ?? "")"
        default: return "the step"
        }
    }

    /// The run ended while a step still waited: the expected exit status does not make up for
    /// a line or event the scenario never saw (a panic or hang expectation may cut steps short).
    private func unfinishedSteps(_ verdict: Verdict) -> Verdict {
        guard verdict.isSuccess, currentStep != nil else { return verdict }
        switch scenario.expectation {
        case .exit, .ktapAllPass:
            return Verdict(.failed, .expectedLineMissing,
                           "\(stepName): the run ended (\(verdict.message)) before \(describeCurrentStep())", watchdog: .qemuGone)
        default:
            return verdict
        }
    }

    /// The run ended (exit, panic, triple fault, forbidden line): compare with the expectation.
    private func judgeEnd() -> Verdict {
        guard let monitor else { return Verdict(.error, .infrastructure, "no machine") }
        let expectation = scenario.expectation
        if let forbidden = monitor.forbidden {
            return Verdict(.failed, .forbiddenLine, "a line matching never-pattern \(forbidden.pattern) appeared: \(forbidden.line)")
        }
        if monitor.tripleFault {
            if expectation == .tripleFault { return Verdict(.passed, .expected, "triple fault (SHUTDOWN guest-reset), as expected", watchdog: .tripleFault) }
            return Verdict(.error, .tripleFault, "the guest triple-faulted (SHUTDOWN guest-reset) during \(stepName)", watchdog: .tripleFault)
        }
        if monitor.panicked {
            let how = monitor.panicLine ?? (monitor.guestPanickedEvent ? "GUEST_PANICKED event" : "panic exit status 37")
            if case .panic(let pattern) = expectation {
                if monitor.expectedPanicMatched { return Verdict(.passed, .expected, "expected panic: \(how)", watchdog: .guestPanic) }
                return Verdict(.failed, .expectedLineMissing, "the guest panicked (\(how)) but no line matched \(pattern)", watchdog: .guestPanic)
            }
            var verdict = Verdict(.error, .panic, "guest panic: \(how)", watchdog: .guestPanic)
            // With panic=halt the kernel leaves its CPUs stopped for a debugger: the machine is
            // still there to explain. (With panic=exit QEMU is already on its way out.)
            if let machine, machine.profile.commandLine.split(separator: " ").contains("panic=halt") {
                gdbSteps?.close()
                verdict.details += diagnoseIfRunning(.guestPanic)
            }
            return verdict
        }
        if monitor.stoppedByQEMU && monitor.exit == nil {
            var verdict = Verdict(.error, .crash, "QEMU stopped the guest by itself (STOP without a stop command) during \(stepName)")
            gdbSteps?.close()
            verdict.details += diagnoseIfRunning(.qemuGone)
            return verdict
        }
        guard let exit = monitor.exit else {
            return Verdict(.error, .infrastructure, "the run ended without an exit")
        }
        guard case .exited(let code) = exit else {
            return Verdict(.error, .crash, "QEMU \(exit) during \(stepName)", watchdog: .qemuGone)
        }
        switch expectation {
        case .exit(let wanted):
            if code == wanted { return Verdict(.passed, .expected, "exited with \(code), as expected") }
            return Verdict(.failed, .unexpectedExit, "QEMU exited with \(code), expected \(wanted)", watchdog: .qemuGone)
        case .ktapAllPass:
            return judgeKTAP(exitCode: code, monitor: monitor)
        default:
            return Verdict(.failed, .unexpectedExit, "QEMU exited with \(code) during \(stepName), expected \(describe(expectation))",
                           watchdog: .qemuGone)
        }
    }

    private func judgeKTAP(exitCode: Int32, monitor: RunMonitor) -> Verdict {
        var parser = monitor.ktap
        parser.finish()
        let document = parser.document
        guard parser.hasStarted else {
            return Verdict(.failed, .ktapFailures, "no KTAP output (QEMU exited with \(exitCode))")
        }
        let cases = document.leafCases()
        let failed = cases.filter { $0.test.status == .failed }.map { ($0.suite + [$0.test.name]).joined(separator: ".") }
        if exitCode == 33 && document.allPassed && failed.isEmpty {
            return Verdict(.passed, .expected, "KTAP: \(cases.count) cases, all passing")
        }
        var problems: [String] = []
        if !failed.isEmpty { problems.append("failed: \(failed.joined(separator: ", "))") }
        if document.missingCount > 0 { problems.append("\(document.missingCount) planned test(s) never reported") }
        if exitCode != 33 { problems.append("QEMU exited with \(exitCode), expected 33") }
        return Verdict(.failed, .ktapFailures, "KTAP: " + problems.joined(separator: "; "))
    }

    private func describe(_ expectation: Expectation) -> String {
        switch expectation {
        case .exit(let code): return "exit \(code)"
        case .ktapAllPass: return "KTAP all passing"
        case .panic(let pattern): return "a panic matching \(pattern)"
        case .hang: return "a hang"
        case .tripleFault: return "a triple fault"
        case .running: return "the guest still running"
        }
    }

    private func interrupted() -> Verdict {
        Verdict(.skipped, .interrupted, "interrupted by signal \(InterruptSignal.lastSignal) before it finished")
    }

    private func waitBrieflyForExit() -> Bool {
        guard let machine else { return false }
        return (try? machine.waitForExit(timeout: 5)) != nil
    }

    // MARK: after the run

    private func properties(firstSerialLineAfter: Double?) -> [(name: String, value: String)] {
        var list: [(String, String)] = [("seed", String(request.seed))]
        let profile = scenario.machine(seed: request.seed)
        list.append(("vcpus", String(profile.vcpus)))
        list.append(("memory", "\(profile.memoryMiB)M"))
        list.append(("cmdline", profile.commandLine))
        if let machine {
            list.append(("qemu.version", machine.qemuVersion))
            list.append(("accelerator", machine.accelerator.description))
        }
        if let kernel = profile.kernel {
            list.append(("kernel", kernel))
            list.append(("kernel.sha256", KernelHashes.shared.hash(of: kernel)))
        }
        list.append(("scenario.file", scenario.file))
        if let firstSerialLineAfter {
            // From the harness's start (not this run's): the figure a person waits for.
            list.append(("harness.first_serial_line_s", firstSerialLineAfter.fixed3))
        }
        return list
    }

    /// A passed run keeps nothing but what `keep` names (a trend plot); with nothing to keep,
    /// not even its folder.
    private func removeArtifacts(keeping keep: [String]) {
        guard !keep.isEmpty else {
            try? FileManager.default.removeItem(atPath: artifactsPath)
            return
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: artifactsPath)) ?? [] where !keep.contains(name) {
            try? FileManager.default.removeItem(atPath: "\(artifactsPath)/\(name)")
        }
    }

    private func writeArtifacts(_ result: RunResult) {
        var verdictText = """
            scenario: \(scenario.name) (\(scenario.file))
            seed: \(request.seed)
            status: \(result.verdict.status.rawValue) (\(result.verdict.kind.rawValue))
            watchdog: \(result.verdict.watchdog?.rawValue ?? "none")
            message: \(result.verdict.message)
            rerun: \(rerunCommand)

            """
        for detail in result.verdict.details { verdictText += detail + "\n" }
        // What a bug report needs besides the logs: kernel hash, QEMU version, machine, seed.
        verdictText += "\nrun:\n" + result.properties.map { "  \($0.name): \($0.value)" }.joined(separator: "\n") + "\n"
        verdictText += "\nlast serial lines:\n" + result.lastLines.map { "  " + $0 }.joined(separator: "\n") + "\n"
        writeArtifact("verdict.txt", verdictText)
        if let machine {
            writeArtifact("qmp.log", machine.qmp.transcript.text)
            writeArtifact("qemu.txt", machine.process.shellCommand + "\n\n" + machine.stderrTail)
        }
    }

    /// The command that attaches gdb to this VM with the kernel's symbols loaded.
    private func gdbCommand(_ machine: QEMUMachine) -> String {
        guard let socket = machine.sockets.gdb else { return "(no gdbstub)" }
        let image = machine.profile.kernel.map { SymbolMapCache.elfPath(forImage: $0) }
        return "gdb \(image.map { shellQuoted($0) + " " } ?? "")-ex \(shellQuoted("target remote " + socket))"
    }

    /// --keep-vm-on-failure: the VM stays up for a person until Ctrl-C.
    private func keepForInspection(_ machine: QEMUMachine) {
        let message = """
            harness: keeping the VM of \(scenario.name) (QEMU pid \(machine.process.pid)) for inspection:
              gdb:     \(gdbCommand(machine))
              monitor: socat - UNIX-CONNECT:\(machine.sockets.humanMonitor ?? "(none)")
              press Ctrl-C to end it

            """
        FileHandle.standardError.write(message.data(using: .utf8)!)
        _ = try? reactor.run(until: { !machine.isRunning }, deadline: { nil })
    }
}

/// Kernel images are hashed once per harness run, whatever the number of scenarios.
final class KernelHashes {
    static let shared = KernelHashes()
    private var hashes: [String: String] = [:]
    private let lock = NSLock()

    func hash(of path: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let known = hashes[path] { return known }
        let value = SHA256.file(path) ?? "unreadable"
        hashes[path] = value
        return value
    }
}
