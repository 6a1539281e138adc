// The verdict's side effects: the facts handed to VerdictRules, and its actions performed
// (the gdb connection closed, a live VM diagnosed, line steps run on after a panic).
import Foundation
import HostSystem
import QEMUMachine
import Scenario

extension ScenarioRun {
    var rules: VerdictRules { VerdictRules(scenario: scenario) }

    /// Where the steps are, for the rules and for messages ("step 2 (line 14)").
    var stepPlace: StepPlace {
        guard let currentStep else { return stepsStarted ? .afterSteps : .boot }
        return .step(index: currentStep.index, currentStep.step)
    }

    var stepName: String { stepPlace.name }

    func describeCurrentStep() -> String { stepPlace.waitedFor }

    /// What happened, as the rules read it.
    func facts(_ monitor: RunMonitor) -> RunFacts {
        var facts = monitor.facts
        facts.step = stepPlace
        return facts
    }

    /// A watchdog fired while QEMU still ran.
    func judge(_ watchdog: Watchdog) -> Verdict {
        guard let monitor else { return Verdict(.error, .infrastructure, "no machine") }
        // Before the diagnosis, which takes its time: the figures as they were when it fired.
        // They lead the verdict's details, where `expect: {hang: {diagnosis: ...}}` can match them.
        var judgement = rules.watchdogFired(watchdog, facts(monitor))
        if watchdog == .frozenDisplay, let display = displayFacts() { judgement.verdict.details.insert(display, at: 0) }
        return carryOut(judgement)
    }

    /// The run ended (exit, panic, triple fault, forbidden line): compare with the expectation.
    func judgeEnd() -> Verdict {
        guard let monitor else { return Verdict(.error, .infrastructure, "no machine") }
        return carryOut(rules.runEnded(facts(monitor)))
    }

    /// The run ended while the steps were under way (a step may still be waiting).
    func judgeEndDuringSteps() -> Verdict {
        guard let monitor else { return Verdict(.error, .infrastructure, "no machine") }
        let facts = facts(monitor)
        return carryOut(rules.stepsCutShort(rules.runEnded(facts), facts))
    }

    /// Performs the judgement's actions in order, handing each result back to the rules.
    func carryOut(_ judgement: VerdictRules.Judgement) -> Verdict {
        var verdict = judgement.verdict
        for action in judgement.actions {
            switch action {
            case .closeGDBConnection:
                gdbSteps?.close()
            case .diagnose(let watchdog, let timed):
                let firedAt = MonotonicInstant.now
                let lines = diagnoseIfRunning(watchdog)
                if timed, !lines.isEmpty, let machine {
                    let done = MonotonicInstant.now
                    diagnosisTiming = DiagnosisTiming(
                        fromLastOutput: done.seconds(since: machine.serial.lastOutput),
                        fromWatchdog: done.seconds(since: firedAt))
                }
                verdict = rules.diagnosed(verdict, lines: lines)
            case .finishLineSteps:
                verdict = rules.lineStepsFinished(verdict, failure: finishLineStepsAfterEnd())
            }
        }
        return verdict
    }

    /// The diagnoser's lines about the live VM (none once QEMU is gone or without a diagnoser).
    func diagnoseIfRunning(_ watchdog: Watchdog) -> [String] {
        guard let machine, machine.isRunning, let diagnoser = options.diagnoser else { return [] }
        onDiagnosis?(watchdog)
        return diagnoser.diagnose(
            machine, watchdog: watchdog, artifacts: artifactsPath, contract: scenario.contract, symbols: kernelSymbols)
    }

    func interrupted() -> Verdict {
        Verdict(.skipped, .interrupted, "interrupted by signal \(InterruptSignal.lastSignal) before it finished")
    }

    func waitBrieflyForExit() -> Bool {
        guard let machine else { return false }
        return (try? machine.waitForExit(timeout: 5)) != nil
    }
}
