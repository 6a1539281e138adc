// How a run is judged, as a value: the facts of what happened in, a verdict and the actions to
// perform out (close the scenario's gdb connection, diagnose the live VM), in the shape of
// QMPSession. ScenarioRun performs the actions and hands their results back; the rules
// themselves touch no socket, so every row of the verdict table is tested without QEMU.
// The table is docs/harness.md's "Watchdogs and verdicts".
import HostSystem
import KTAP
import Scenario

struct VerdictRules {
    /// What the run's owner must do before the verdict is final.
    enum Action: Equatable {
        /// Close the `gdb:` steps' connection (the diagnosis, or a person, needs the stub).
        case closeGDBConnection
        /// Diagnose the live VM for this watchdog and hand the lines to `diagnosed(_:lines:)`;
        /// `timed`: record how long it took (a watchdog's hang, for `make bench`).
        case diagnose(Watchdog, timed: Bool)
        /// Run the line-reading steps on against what already arrived and hand the first
        /// failure (or nil) to `lineStepsFinished(_:failure:)`.
        case finishLineSteps
    }

    /// A verdict so far, and what must be done to complete it.
    struct Judgement {
        var verdict: Verdict
        var actions: [Action] = []
    }

    let scenario: Scenario

    // MARK: a watchdog fired while QEMU still ran

    func watchdogFired(_ watchdog: Watchdog, _ facts: RunFacts) -> Judgement {
        if facts.panicked { return runEnded(facts) }
        let verdict: Verdict
        switch watchdog {
        case .serialSilence, .noProgress, .frozenDisplay:
            let (limit, what): (Double, String) =
                switch watchdog {
                case .serialSilence: (scenario.watchdogs.silence ?? 0, "no serial output")
                case .noProgress: (scenario.watchdogs.progress?.within ?? 0, "no progress line")
                default: (scenario.watchdogs.display?.within ?? 0, "no change on the screen")
                }
            if scenario.expectation == .hang {
                verdict = Verdict(
                    .passed, .expected, "hang diagnosed by \(watchdog.rawValue) (\(what) for \(limit)s), as expected",
                    watchdog: watchdog)
            } else {
                verdict = Verdict(
                    .error, .hang, "hang: \(what) for \(limit)s (\(watchdog.rawValue) watchdog) during \(facts.step.name)",
                    watchdog: watchdog)
            }
        case .stepDeadline:
            verdict = Verdict(
                .failed, .expectedLineMissing, "\(facts.step.name): \(facts.step.waitedFor) did not happen within its time",
                watchdog: watchdog)
        default:
            verdict = Verdict(
                .error, .deadline, "the scenario deadline (\(scenario.watchdogs.deadline)s) passed during \(facts.step.name)",
                watchdog: watchdog)
        }
        return Judgement(verdict: verdict, actions: [.closeGDBConnection, .diagnose(watchdog, timed: true)])
    }

    /// The diagnoser's lines join the verdict; an expected hang must be explained as the
    /// scenario says (`expect: {hang: {diagnosis: [...]}}`).
    func diagnosed(_ verdict: Verdict, lines: [String]) -> Verdict {
        var verdict = verdict
        verdict.details += lines
        if verdict.isSuccess,
            let missing = scenario.expectedDiagnosis.first(where: { pattern in !verdict.details.contains { pattern.matches($0) } }
            )
        {
            verdict = Verdict(
                .failed, .expectedLineMissing, "the hang was diagnosed, but no diagnosis line matched \(missing)",
                watchdog: verdict.watchdog, details: verdict.details)
        }
        return verdict
    }

    // MARK: the steps are done

    /// The last step is done and the guest still runs: `expect: running` passes now; every
    /// other expectation waits for the end (nil).
    func stepsDone() -> Verdict? {
        guard scenario.expectation == .running else { return nil }
        return Verdict(.passed, .expected, "still running after the steps, as expected")
    }

    // MARK: the run ended

    /// The run ended (exit, panic, triple fault, forbidden line, QEMU stopping the guest):
    /// compare with the expectation.
    func runEnded(_ facts: RunFacts) -> Judgement {
        let expectation = scenario.expectation
        if let forbidden = facts.forbidden {
            return Judgement(
                verdict: Verdict(
                    .failed, .forbiddenLine,
                    "a line matching never-pattern \(forbidden.pattern) appeared: \(forbidden.line)"))
        }
        // A reset after a panic line is the panic's own reboot (Linux's panic=-1 under
        // -no-reboot), not a triple fault: the panic is judged.
        if facts.panicked {
            let how =
                facts.panicLine.map { line in facts.panicTitle.map { "\($0): \(line)" } ?? line }
                ?? (facts.guestPanickedEvent
                    ? "GUEST_PANICKED event"
                    : "panic exit status \(scenario.contract.panicExit.map(String.init) ?? "?")")
            if case .panic(let pattern) = expectation {
                guard facts.expectedPanicMatched else {
                    return Judgement(
                        verdict: Verdict(
                            .failed, .expectedLineMissing, "the guest panicked (\(how)) but no line matched \(pattern)",
                            watchdog: .guestPanic))
                }
                if let failure = wholePanic(facts, how: how) { return Judgement(verdict: failure) }
                return Judgement(verdict: Verdict(.passed, .expected, "expected panic: \(how)", watchdog: .guestPanic))
            }
            let verdict = Verdict(.error, .panic, "guest panic: \(how)", watchdog: .guestPanic)
            // With panic=halt the kernel leaves its CPUs stopped for a debugger: the machine is
            // still there to explain. (With panic=exit QEMU is already on its way out.)
            guard facts.haltsAfterPanic else { return Judgement(verdict: verdict) }
            return Judgement(verdict: verdict, actions: [.closeGDBConnection, .diagnose(.guestPanic, timed: false)])
        }
        if facts.tripleFault {
            if expectation == .tripleFault {
                return Judgement(
                    verdict: Verdict(
                        .passed, .expected, "triple fault (SHUTDOWN guest-reset), as expected", watchdog: .tripleFault))
            }
            return Judgement(
                verdict: Verdict(
                    .error, .tripleFault, "the guest triple-faulted (SHUTDOWN guest-reset) during \(facts.step.name)",
                    watchdog: .tripleFault))
        }
        if facts.stoppedByQEMU && facts.exit == nil {
            return Judgement(
                verdict: Verdict(
                    .error, .crash, "QEMU stopped the guest by itself (STOP without a stop command) during \(facts.step.name)"),
                actions: [.closeGDBConnection, .diagnose(.qemuGone, timed: false)])
        }
        guard let exit = facts.exit else {
            return Judgement(verdict: Verdict(.error, .infrastructure, "the run ended without an exit"))
        }
        guard case .exited(let code) = exit else {
            return Judgement(verdict: Verdict(.error, .crash, "QEMU \(exit) during \(facts.step.name)", watchdog: .qemuGone))
        }
        switch expectation {
        case .exit(let wanted):
            if code == wanted { return Judgement(verdict: Verdict(.passed, .expected, "exited with \(code), as expected")) }
            return Judgement(
                verdict: Verdict(.failed, .unexpectedExit, "QEMU exited with \(code), expected \(wanted)", watchdog: .qemuGone))
        case .ktapAllPass:
            return Judgement(verdict: ktap(facts.ktap, exitCode: code))
        default:
            return Judgement(
                verdict: Verdict(
                    .failed, .unexpectedExit,
                    "QEMU exited with \(code) during \(facts.step.name), expected \(Self.describe(expectation))",
                    watchdog: .qemuGone))
        }
    }

    /// An expected panic is the whole of what the kernel's contract says a panic is: its panic
    /// line, its panic exit status (unless it halts for a debugger), and a report line for every
    /// vCPU; nil when it is. A kernel that printed its report and then hung, or that left a CPU
    /// unaccounted for, fails here. Without a contract only the scenario's own pattern counts.
    func wholePanic(_ facts: RunFacts, how: String) -> Verdict? {
        let contract = scenario.contract
        if let line = contract.panicLine, !facts.contractPanicLineSeen {
            return Verdict(
                .failed, .expectedLineMissing, "the guest panicked (\(how)) but no line matched the panic line \(line)",
                watchdog: .guestPanic)
        }
        if let status = contract.panicExit, !facts.haltsAfterPanic, facts.exit != .exited(status) {
            let ended =
                facts.exit.map { "QEMU ended with \($0)" }
                ?? "QEMU did not exit within \(RunMonitor.panicReportGrace)s of the report's last line"
            return Verdict(
                .failed, .unexpectedExit, "expected panic (\(how)), but \(ended), not the panic exit status \(status)",
                watchdog: .guestPanic)
        }
        if let line = contract.panicCPULine {
            let missing = (0..<scenario.machine.vcpus).filter { !facts.panicCPUs.contains($0) }
            if !missing.isEmpty {
                let cpus = missing.map(String.init).joined(separator: ", ")
                return Verdict(
                    .failed, .expectedLineMissing,
                    "expected panic (\(how)), but the report has no line matching \(line) for CPU \(cpus) of \(scenario.machine.vcpus)",
                    watchdog: .guestPanic)
            }
        }
        return nil
    }

    /// The run ended while a step still waited: the expected exit status does not make up for
    /// a line or event the scenario never saw. An expected panic ends a run on purpose, often
    /// with its report's lines still unread by the steps: those steps run on against what
    /// arrived (`.finishLineSteps`), and a line that never came fails the run. A hang
    /// expectation may cut steps short.
    func stepsCutShort(_ ended: Judgement, _ facts: RunFacts) -> Judgement {
        guard ended.verdict.isSuccess, facts.step.isWaitingStep else { return ended }
        switch scenario.expectation {
        case .exit, .ktapAllPass:
            return Judgement(
                verdict: Verdict(
                    .failed, .expectedLineMissing,
                    "\(facts.step.name): the run ended (\(ended.verdict.message)) before \(facts.step.waitedFor)",
                    watchdog: .qemuGone))
        case .panic:
            return Judgement(verdict: ended.verdict, actions: ended.actions + [.finishLineSteps])
        default:
            return ended
        }
    }

    /// The line-reading steps ran on after an expected panic: the first that failed fails the run.
    func lineStepsFinished(_ verdict: Verdict, failure: Verdict?) -> Verdict {
        guard let failure else { return verdict }
        return Verdict(
            failure.status, failure.kind, "\(failure.message) (\(verdict.message))", watchdog: verdict.watchdog,
            details: verdict.details)
    }

    // MARK: KTAP

    /// `expect: ktap`: judged as Linux's kunit_parser.py judges the stream (KTAPSummary), plus
    /// the scenario's case count and, when the profile's contract gives one, its clean exit.
    func ktap(_ stream: KTAPParser, exitCode: Int32) -> Verdict {
        var parser = stream
        parser.finish()
        let summary = parser.summary
        guard parser.hasStarted else {
            return Verdict(.failed, .ktapFailures, "no KTAP output (QEMU exited with \(exitCode))")
        }
        let cases = parser.document.leafCases()
        let failed = cases.filter { $0.test.status == .failed }.map { ($0.suite + [$0.test.name]).joined(separator: ".") }
        let cleanExit = scenario.contract.cleanExit
        let exitedCleanly = cleanExit.map { exitCode == $0 } ?? true
        let countHolds = scenario.ktapCases?.admits(cases.count) ?? true
        var notes: [String] = []
        if summary.counts.errors > 0 {
            notes.append("\(summary.counts.errors) error(s): " + summary.errors.prefix(5).joined(separator: "; "))
        }
        if summary.beyondPlan > 0 { notes.append("\(summary.beyondPlan) result(s) past the plan, not judged") }
        let noted = notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")"
        if exitedCleanly && countHolds && summary.passed {
            return Verdict(.passed, .expected, "KTAP: \(cases.count) cases, all passing" + noted)
        }
        var problems: [String] = []
        if summary.status == .noTests {
            problems.append(
                "no results (plan \(parser.document.plannedCount.map { "1..\($0)" } ?? "missing"): the filter matched nothing?)")
        } else if let wanted = scenario.ktapCases, !wanted.admits(cases.count) {
            problems.append("\(cases.count) cases reported, expected \(wanted.description)")
        }
        if !failed.isEmpty { problems.append("failed: \(failed.prefix(20).joined(separator: ", "))") }
        if parser.document.unkeptFailures > 0 {
            problems.append(
                "\(parser.document.unkeptFailures) failed result(s) past the first \(KTAPParser.maximumResults) (counted, not kept)"
            )
        }
        if parser.document.missingCount > 0 {
            problems.append("\(parser.document.missingCount) planned test(s) never reported")
        }
        if let cleanExit, exitCode != cleanExit { problems.append("QEMU exited with \(exitCode), expected \(cleanExit)") }
        if problems.isEmpty { problems.append("\(summary.counts), \(summary.status.rawValue)") }
        return Verdict(.failed, .ktapFailures, "KTAP: " + problems.joined(separator: "; ") + noted)
    }

    // MARK: assertions

    /// An `assert:` step against the captured values; nil when it holds.
    func check(_ assertion: Assertion, captures: [String: Int64], at step: StepPlace) -> Verdict? {
        guard let value = captures[assertion.value] else {
            return Verdict(
                .failed, .assertionFailed,
                "\(step.name): no captured value \(assertion.value) (captured: \(captures.keys.sorted().joined(separator: ", ")))"
            )
        }
        let operand: Int64
        switch assertion.operand {
        case .number(let number): operand = number
        case .captured(let name):
            guard let captured = captures[name] else {
                return Verdict(.failed, .assertionFailed, "\(step.name): no captured value \(name)")
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
        return Verdict(
            .failed, .assertionFailed,
            "\(step.name): expected \(assertion.value) (\(value)) \(assertion.comparison.rawValue) \(operandText)")
    }

    static func describe(_ expectation: Expectation) -> String {
        switch expectation {
        case .exit(let code): return "exit \(code)"
        case .ktapAllPass: return "KTAP all passing"
        case .panic(let pattern): return "a panic matching \(pattern)"
        case .hang: return "a hang"
        case .tripleFault: return "a triple fault"
        case .running: return "the guest still running"
        }
    }
}
