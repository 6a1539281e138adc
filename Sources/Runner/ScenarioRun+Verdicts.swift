// How a run is judged: a watchdog that fired, the end the scenario expected or not, KTAP,
// unfinished steps; a live VM diagnosed before it goes.
import Foundation
import HostSystem
import KernelSymbols
import KTAP
import QEMUMachine
import QMP
import Scenario
import Trend

extension ScenarioRun {
    var stepName: String {
        guard let currentStep else { return stepsStarted ? "after the steps" : "boot" }
        return "step \(currentStep.index + 1) (line \(currentStep.step.line))"
    }

    /// A watchdog fired while QEMU still ran.
    func judge(_ watchdog: Watchdog) -> Verdict {
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
    func diagnoseIfRunning(_ watchdog: Watchdog) -> [String] {
        guard let machine, machine.isRunning, let diagnoser = options.diagnoser else { return [] }
        onDiagnosis?(watchdog)
        return diagnoser.diagnose(machine, watchdog: watchdog, artifacts: artifactsPath)
    }

    func describeCurrentStep() -> String {
        guard let step = currentStep?.step.value else { return "the run" }
        switch step {
        case .waitSerial(let pattern, _): return "a serial line matching \(pattern)"
        case .capture(let pattern, let name, _): return "a line matching \(pattern) to capture as \(name)"
        case .waitEvent(let name, let data, _): return "QMP event \(name)\(data.map { " with \($0)" } ?? "")"
        default: return "the step"
        }
    }

    /// The run ended while a step still waited: the expected exit status does not make up for
    /// a line or event the scenario never saw. An expected panic ends a run on purpose, often
    /// with its report's lines still unread by the steps: those steps run on against what
    /// arrived (`finishing`), and a line that never came fails the run (found by reverting the
    /// silent OOM halt: oom-heap-4cpu passed on a cross-call panic without "Allocation
    /// failure:"). A hang expectation may cut steps short.
    func unfinishedSteps(_ verdict: Verdict, finishing: () -> Verdict? = { nil }) -> Verdict {
        guard verdict.isSuccess, currentStep != nil else { return verdict }
        switch scenario.expectation {
        case .exit, .ktapAllPass:
            return Verdict(.failed, .expectedLineMissing,
                           "\(stepName): the run ended (\(verdict.message)) before \(describeCurrentStep())", watchdog: .qemuGone)
        case .panic:
            guard let failure = finishing() else { return verdict }
            return Verdict(failure.status, failure.kind, "\(failure.message) (\(verdict.message))", watchdog: verdict.watchdog,
                           details: verdict.details)
        default:
            return verdict
        }
    }

    /// The run ended (exit, panic, triple fault, forbidden line): compare with the expectation.
    func judgeEnd() -> Verdict {
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
            if monitor.haltsAfterPanic {
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

    func judgeKTAP(exitCode: Int32, monitor: RunMonitor) -> Verdict {
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
        if document.unkeptFailures > 0 {
            problems.append("\(document.unkeptFailures) failed result(s) past the first \(KTAPParser.maximumResults) (counted, not kept)")
        }
        if document.missingCount > 0 { problems.append("\(document.missingCount) planned test(s) never reported") }
        if exitCode != 33 { problems.append("QEMU exited with \(exitCode), expected 33") }
        return Verdict(.failed, .ktapFailures, "KTAP: " + problems.joined(separator: "; "))
    }

    func describe(_ expectation: Expectation) -> String {
        switch expectation {
        case .exit(let code): return "exit \(code)"
        case .ktapAllPass: return "KTAP all passing"
        case .panic(let pattern): return "a panic matching \(pattern)"
        case .hang: return "a hang"
        case .tripleFault: return "a triple fault"
        case .running: return "the guest still running"
        }
    }

    func interrupted() -> Verdict {
        Verdict(.skipped, .interrupted, "interrupted by signal \(InterruptSignal.lastSignal) before it finished")
    }

    func waitBrieflyForExit() -> Bool {
        guard let machine else { return false }
        return (try? machine.waitForExit(timeout: 5)) != nil
    }

}
