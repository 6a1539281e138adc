import HostSystem
import KTAP
import QEMUMachine
// Every row of docs/harness.md's verdict table, judged by VerdictRules from facts alone: no
// QEMU, no socket. The actions (close gdb, diagnose) are asserted as the rules return them.
import Testing

@testable import Runner
@testable import Scenario

@Suite struct VerdictRulesTests {
    /// Our kernel's profile (its contract: exit 33 and 37, `KERNEL PANIC:`, per-CPU lines), or
    /// with `ours: false` a kernel whose profile says nothing about its conventions.
    private func rules(_ yaml: String, ours: Bool = true) throws -> VerdictRules {
        VerdictRules(scenario: try ScenarioParser.parse(yaml, file: "v.yaml", profiles: try library(ours: ours)))
    }

    private func library(ours: Bool = true) throws -> ProfileLibrary {
        if ours { return try ProfileLibrary.parse(RunMonitorTests.ourProfile, file: "/p/profiles.yaml") }
        var machine = MachineProfile()
        machine.kernel = "/k.img"
        return ProfileLibrary(profiles: ["default": .init(machine: machine, never: [])], file: nil)
    }

    /// A panic as our kernel reports it on `vcpus` CPUs, exiting with 37.
    private func wholePanic(vcpus: Int = 1) -> RunFacts {
        facts {
            $0.panicked = true
            $0.panicLine = "KERNEL PANIC: out of memory"
            $0.contractPanicLineSeen = true
            $0.expectedPanicMatched = true
            $0.panicCPUs = Set(0..<vcpus)
            $0.exit = .exited(37)
        }
    }

    private func facts(_ change: (inout RunFacts) -> Void = { _ in }) -> RunFacts {
        var facts = RunFacts()
        facts.step = .afterSteps
        change(&facts)
        return facts
    }

    private func waiting(_ yaml: String, at index: Int = 0) throws -> StepPlace {
        let scenario = try ScenarioParser.parse(yaml, file: "v.yaml", profiles: try library())
        return .step(index: index, scenario.steps[index])
    }

    private func ktap(_ text: String) -> KTAPParser {
        var parser = KTAPParser()
        for line in text.split(separator: "\n") { parser.feed(line) }
        return parser
    }

    // MARK: scenario deadline

    @Test func scenarioDeadlineIsAnErrorAndTheVMIsDiagnosed() throws {
        let judgement = try rules("watchdogs: {deadline: 9s}\nexpect: {exit: 33}\n").watchdogFired(.scenarioDeadline, facts())
        #expect(judgement.verdict.status == .error)
        #expect(judgement.verdict.kind == .deadline)
        #expect(judgement.verdict.message == "the scenario deadline (9.0s) passed during the wait after the steps")
        #expect(judgement.actions == [.closeGDBConnection, .diagnose(.scenarioDeadline, timed: true)])
    }

    // MARK: step deadline

    @Test func stepDeadlineIsAFailureNamingTheStepAndWhatItAwaited() throws {
        let yaml = "steps:\n  - wait-serial: \"kernel: ready\"\nexpect: {exit: 33}\n"
        let place = try waiting(yaml)
        let judgement = try rules(yaml).watchdogFired(.stepDeadline, facts { $0.step = place })
        #expect(judgement.verdict.status == .failed)
        #expect(judgement.verdict.kind == .expectedLineMissing)
        #expect(
            judgement.verdict.message
                == "step 1 (line 2): a serial line matching \"kernel: ready\" did not happen within its time")
        #expect(judgement.verdict.watchdog == .stepDeadline)
    }

    // MARK: serial silence and no progress

    @Test(arguments: [Watchdog.serialSilence, .noProgress, .frozenDisplay])
    func silenceOrNoProgressIsAHangError(_ watchdog: Watchdog) throws {
        let rules = try rules(
            "watchdogs: {silence: 7s, progress: {pattern: beat, within: 11s}, display: 13s}\nexpect: {exit: 33}\n")
        let judgement = rules.watchdogFired(watchdog, facts { $0.step = .boot })
        #expect(judgement.verdict.status == .error)
        #expect(judgement.verdict.kind == .hang)
        let what = [
            Watchdog.serialSilence: "no serial output for 7.0s", .noProgress: "no progress line for 11.0s",
            .frozenDisplay: "no change on the screen for 13.0s",
        ][watchdog]!
        #expect(judgement.verdict.message == "hang: \(what) (\(watchdog.rawValue) watchdog) during boot")
        #expect(judgement.actions == [.closeGDBConnection, .diagnose(watchdog, timed: true)])
    }

    @Test(arguments: [Watchdog.serialSilence, .noProgress, .frozenDisplay])
    func silenceOrNoProgressPassesAnExpectedHang(_ watchdog: Watchdog) throws {
        let rules = try rules(
            "watchdogs: {silence: 7s, progress: {pattern: beat, within: 11s}, display: 13s}\nexpect: hang\n")
        let judgement = rules.watchdogFired(watchdog, facts())
        #expect(judgement.verdict.status == .passed)
        #expect(judgement.verdict.kind == .expected)
        #expect(rules.diagnosed(judgement.verdict, lines: ["diagnosis: CPU0 running"]).details == ["diagnosis: CPU0 running"])
    }

    @Test func anExpectedHangMustBeDiagnosedAsTheScenarioSays() throws {
        let rules = try rules(
            """
            watchdogs: {silence: 5s}
            expect: {hang: {diagnosis: ["CPU2 running, IF=0", "holding: heap"]}}
            """)
        let passed = rules.watchdogFired(.serialSilence, facts()).verdict
        let explained = rules.diagnosed(
            passed, lines: ["diagnosis: CPU2 running, IF=0, in spin()", "holding: heap by CPU2 at f+0x1"])
        #expect(explained.status == .passed)
        let unexplained = rules.diagnosed(passed, lines: ["diagnosis: CPU2 running, IF=0, in spin()"])
        #expect(unexplained.status == .failed)
        #expect(unexplained.kind == .expectedLineMissing)
        #expect(unexplained.message == "the hang was diagnosed, but no diagnosis line matched \"holding: heap\"")
        #expect(unexplained.details == ["diagnosis: CPU2 running, IF=0, in spin()"])
        // Without a diagnosis at all (no gdbstub, QEMU gone) the expectation cannot be met.
        #expect(rules.diagnosed(passed, lines: []).status == .failed)
    }

    @Test func aWatchdogAfterAPanicIsJudgedAsThePanic() throws {
        let judgement = try rules("machine: {vcpus: 1}\nexpect: {panic: \"out of memory\"}\n").watchdogFired(
            .serialSilence, wholePanic())
        #expect(judgement.verdict.status == .passed)
        #expect(judgement.actions.isEmpty)
    }

    // MARK: QEMU gone

    @Test func qemuKilledByASignalIsACrash() throws {
        let judgement = try rules("expect: {exit: 33}\n").runEnded(facts { $0.exit = .signaled(9) })
        #expect(judgement.verdict.status == .error)
        #expect(judgement.verdict.kind == .crash)
        #expect(judgement.verdict.watchdog == .qemuGone)
        #expect(judgement.verdict.message.hasPrefix("QEMU killed by signal 9"))
    }

    @Test func theExpectedExitStatusPassesAndAnyOtherFails() throws {
        let rules = try rules("expect: {exit: 33}\n")
        #expect(
            rules.runEnded(facts { $0.exit = .exited(33) }).verdict == Verdict(.passed, .expected, "exited with 33, as expected"))
        let wrong = rules.runEnded(facts { $0.exit = .exited(35) }).verdict
        #expect(wrong.status == .failed)
        #expect(wrong.kind == .unexpectedExit)
        #expect(wrong.message == "QEMU exited with 35, expected 33")
    }

    @Test(arguments: ["running", "hang", "triple-fault"])
    func anExitWhereSomethingElseWasExpectedFails(_ expectation: String) throws {
        let yaml = expectation == "hang" ? "watchdogs: {silence: 5s}\nexpect: hang\n" : "expect: \(expectation)\n"
        let verdict = try rules(yaml).runEnded(facts { $0.exit = .exited(33) }).verdict
        #expect(verdict.status == .failed)
        #expect(verdict.kind == .unexpectedExit)
        #expect(verdict.message.hasPrefix("QEMU exited with 33 during the wait after the steps, expected "))
    }

    @Test func qemuStoppingTheGuestByItselfIsACrashExplainedOnTheLiveVM() throws {
        let judgement = try rules("expect: running\n").runEnded(facts { $0.stoppedByQEMU = true })
        #expect(judgement.verdict.status == .error)
        #expect(judgement.verdict.kind == .crash)
        #expect(judgement.actions == [.closeGDBConnection, .diagnose(.qemuGone, timed: false)])
    }

    @Test func anEndWithoutAnyExitIsAnInfrastructureError() throws {
        let verdict = try rules("expect: {exit: 33}\n").runEnded(facts()).verdict
        #expect(verdict.status == .error)
        #expect(verdict.kind == .infrastructure)
    }

    // MARK: guest panic

    @Test func anUnexpectedPanicIsAnError() throws {
        let judgement = try rules("expect: {exit: 33}\n").runEnded(
            facts {
                $0.panicked = true
                $0.panicLine = "KERNEL PANIC: out of memory"
                $0.contractPanicLineSeen = true
                $0.exit = .exited(37)
            })
        #expect(judgement.verdict == Verdict(.error, .panic, "guest panic: KERNEL PANIC: out of memory", watchdog: .guestPanic))
        #expect(judgement.actions.isEmpty, "under panic=exit QEMU is on its way out: nothing to diagnose")
    }

    @Test func aPanicUnderPanicHaltIsDiagnosedOnTheStoppedMachine() throws {
        let judgement = try rules("expect: running\n").runEnded(
            facts {
                $0.panicked = true
                $0.guestPanickedEvent = true
                $0.haltsAfterPanic = true
            })
        #expect(judgement.verdict.message == "guest panic: GUEST_PANICKED event")
        #expect(judgement.actions == [.closeGDBConnection, .diagnose(.guestPanic, timed: false)])
    }

    @Test func anExpectedPanicPassesOnlyWhenItsLineCame() throws {
        let rules = try rules("machine: {vcpus: 1}\nexpect: {panic: \"out of memory\"}\n")
        let matched = rules.runEnded(wholePanic()).verdict
        #expect(matched == Verdict(.passed, .expected, "expected panic: KERNEL PANIC: out of memory", watchdog: .guestPanic))
        let other = rules.runEnded(
            facts {
                $0.panicked = true
                $0.panicLine = "KERNEL PANIC: double fault"
                $0.contractPanicLineSeen = true
            }
        ).verdict
        #expect(other.status == .failed)
        #expect(other.kind == .expectedLineMissing)
        #expect(other.message == "the guest panicked (KERNEL PANIC: double fault) but no line matched \"out of memory\"")
    }

    @Test func aPanicLeftUnfinishedStepsRunsThemOnAgainstWhatArrived() throws {
        let yaml = "machine: {vcpus: 2}\nsteps:\n  - wait-serial: \"cpu=1 stopped\"\nexpect: {panic: \"out of memory\"}\n"
        let rules = try rules(yaml)
        var facts = wholePanic(vcpus: 2)
        facts.step = try waiting(yaml)
        let judgement = rules.stepsCutShort(rules.runEnded(facts), facts)
        #expect(judgement.verdict.isSuccess)
        #expect(judgement.actions == [.finishLineSteps])
        #expect(rules.lineStepsFinished(judgement.verdict, failure: nil).isSuccess)
        let missing = Verdict(
            .failed, .expectedLineMissing, "step 1 (line 3): the run ended before a serial line matching \"cpu=1 stopped\"")
        let failed = rules.lineStepsFinished(judgement.verdict, failure: missing)
        #expect(failed.status == .failed)
        #expect(
            failed.message
                == "step 1 (line 3): the run ended before a serial line matching \"cpu=1 stopped\" (expected panic: KERNEL PANIC: out of memory)"
        )
    }

    @Test func anExpectedPanicIsTheWholeOfWhatTheContractSaysAPanicIs() throws {
        let rules = try rules("machine: {vcpus: 4}\nexpect: {panic: \"out of memory\"}\n")
        #expect(rules.runEnded(wholePanic(vcpus: 4)).verdict.isSuccess)
        // Its report printed, then hung: QEMU never exited with 37.
        var hung = wholePanic(vcpus: 4)
        hung.exit = nil
        let hangs = rules.runEnded(hung).verdict
        #expect(hangs.status == .failed && hangs.kind == .unexpectedExit)
        #expect(
            hangs.message
                == "expected panic (KERNEL PANIC: out of memory), but QEMU did not exit within 3.0s of the report's last line, not the panic exit status 37"
        )
        var clean = wholePanic(vcpus: 4)
        clean.exit = .exited(33)
        #expect(
            rules.runEnded(clean).verdict.message.hasSuffix("but QEMU ended with exit status 33, not the panic exit status 37"))
        // A CPU the report does not account for (did not stop, or was never asked to).
        var lost = wholePanic(vcpus: 4)
        lost.panicCPUs = [0, 2]
        let unaccounted = rules.runEnded(lost).verdict
        #expect(unaccounted.status == .failed && unaccounted.kind == .expectedLineMissing)
        #expect(
            unaccounted.message.hasSuffix("but the report has no line matching /^cpu=([0-9]+) (stopped )?rip=/ for CPU 1, 3 of 4")
        )
        // pvpanic alone, without the kernel's panic line.
        var silent = wholePanic(vcpus: 4)
        silent.panicLine = nil
        silent.contractPanicLineSeen = false
        silent.guestPanickedEvent = true
        #expect(
            rules.runEnded(silent).verdict.message
                == "the guest panicked (GUEST_PANICKED event) but no line matched the panic line \"KERNEL PANIC:\"")
        // Under panic=halt the kernel stops for a debugger: no exit is due.
        let halting = try self.rules("machine: {vcpus: 4, cmdline: \"panic=halt\"}\nexpect: {panic: \"out of memory\"}\n")
        var halted = wholePanic(vcpus: 4)
        halted.exit = nil
        halted.haltsAfterPanic = true
        #expect(halting.runEnded(halted).verdict.isSuccess)
    }

    @Test func withoutAContractAnExpectedPanicIsOnlyTheScenariosPattern() throws {
        let rules = try rules("machine: {vcpus: 4}\nexpect: {panic: \"Kernel panic\"}\n", ours: false)
        let verdict = rules.runEnded(
            facts {
                $0.panicked = true
                $0.guestPanickedEvent = true
                $0.expectedPanicMatched = true
            }
        ).verdict
        #expect(verdict == Verdict(.passed, .expected, "expected panic: GUEST_PANICKED event", watchdog: .guestPanic))
    }

    // MARK: triple fault

    @Test func aTripleFaultIsAnErrorUnlessExpected() throws {
        let happened = facts {
            $0.tripleFault = true
            $0.exit = .exited(0)
        }
        let unexpected = try rules("expect: {exit: 33}\n").runEnded(happened).verdict
        #expect(unexpected.status == .error)
        #expect(unexpected.kind == .tripleFault)
        #expect(unexpected.watchdog == .tripleFault)
        let expected = try rules("expect: triple-fault\n").runEnded(happened).verdict
        #expect(
            expected == Verdict(.passed, .expected, "triple fault (SHUTDOWN guest-reset), as expected", watchdog: .tripleFault))
    }

    /// Linux with panic=-1 reboots after its panic report; under -no-reboot that reset ends
    /// QEMU (SHUTDOWN guest-reset): the panic is judged, not a triple fault.
    @Test func aResetAfterAPanicLineIsThePanicsReboot() throws {
        let rules = try rules("expect: {panic: \"Kernel panic\"}\n", ours: false)
        let verdict = rules.runEnded(
            facts {
                $0.panicked = true
                $0.panicLine = "Kernel panic - not syncing: sysrq triggered crash"
                $0.panicTitle = "kernel panic: sysrq triggered crash"
                $0.expectedPanicMatched = true
                $0.tripleFault = true
                $0.exit = .exited(0)
            }
        ).verdict
        #expect(verdict.status == .passed, "\(verdict)")
        #expect(
            verdict.message
                == "expected panic: kernel panic: sysrq triggered crash: Kernel panic - not syncing: sysrq triggered crash")
    }

    // MARK: never-lines

    @Test func aForbiddenLineFailsTheRunWhateverElseHappened() throws {
        let pattern = try Pattern("Allocation failure:")
        let verdict = try rules("expect: {panic: \"out of memory\"}\n").runEnded(
            facts {
                $0.forbidden = (pattern, "Allocation failure: size=64 align=8")
                $0.panicked = true
                $0.expectedPanicMatched = true
                $0.exit = .exited(37)
            }
        ).verdict
        #expect(
            verdict
                == Verdict(
                    .failed, .forbiddenLine,
                    "a line matching never-pattern \"Allocation failure:\" appeared: Allocation failure: size=64 align=8"))
    }

    // MARK: steps cut short

    @Test func theExpectedExitDoesNotMakeUpForALineNeverSeen() throws {
        let yaml = "steps:\n  - wait-serial: \"storm: done\"\nexpect: {exit: 33}\n"
        let rules = try rules(yaml)
        var facts = facts { $0.exit = .exited(33) }
        facts.step = try waiting(yaml)
        let judgement = rules.stepsCutShort(rules.runEnded(facts), facts)
        #expect(judgement.verdict.status == .failed)
        #expect(judgement.verdict.kind == .expectedLineMissing)
        #expect(
            judgement.verdict.message
                == "step 1 (line 2): the run ended (exited with 33, as expected) before a serial line matching \"storm: done\"")
    }

    @Test func runningPassesWhenTheStepsAreDoneAndNothingElseDoes() throws {
        #expect(try rules("expect: running\n").stepsDone()?.status == .passed)
        #expect(try rules("expect: {exit: 33}\n").stepsDone() == nil)
    }

    // MARK: KTAP

    private let ktapYAML = "machine: {cmdline: \"ktest=*\"}\nexpect: ktap\n"

    @Test func ktapNeedsAtLeastOneResultAndTheCountTheScenarioGives() throws {
        let empty = try rules(ktapYAML).ktap(ktap("KTAP version 1\n1..0\n"), exitCode: 33)
        #expect(
            empty
                == Verdict(
                    .failed, .ktapFailures, "KTAP: no results (plan 1..0: the filter matched nothing?) (1 error(s): 0 tests run!)"
                ))
        let three = ktap("KTAP version 1\n1..3\nok 1 a\nok 2 b\nok 3 c\n")
        let exactly = try rules("machine: {cmdline: \"ktest=*\"}\nexpect: {ktap: {all-pass: true, cases: 3}}\n")
        #expect(exactly.ktap(three, exitCode: 33).isSuccess)
        let four = try rules("machine: {cmdline: \"ktest=*\"}\nexpect: {ktap: {all-pass: true, cases: 4}}\n")
        #expect(four.ktap(three, exitCode: 33).message == "KTAP: 3 cases reported, expected exactly 4")
        let atLeast = try rules("machine: {cmdline: \"ktest=*\"}\nexpect: {ktap: {all-pass: true, cases: {at-least: 3}}}\n")
        #expect(atLeast.ktap(three, exitCode: 33).isSuccess)
        #expect(
            atLeast.ktap(ktap("KTAP version 1\n1..2\nok 1 a\nok 2 b\n"), exitCode: 33).message
                == "KTAP: 2 cases reported, expected at least 3")
    }

    @Test func withoutAContractKTAPPresumesNoExitStatus() throws {
        let rules = try rules(ktapYAML, ours: false)
        #expect(rules.ktap(ktap("KTAP version 1\n1..1\nok 1 a\n"), exitCode: 0).isSuccess)
        #expect(!rules.ktap(ktap("KTAP version 1\n1..0\n"), exitCode: 0).isSuccess)
    }

    @Test func ktapPassesWhenEveryCasePassesAndTheKernelExitsCleanly() throws {
        let parser = ktap("KTAP version 1\n1..2\nok 1 a\nok 2 b # SKIP no APs\n")
        let verdict = try rules(ktapYAML).runEnded(
            facts {
                $0.ktap = parser
                $0.exit = .exited(33)
            }
        ).verdict
        #expect(verdict == Verdict(.passed, .expected, "KTAP: 2 cases, all passing"))
    }

    @Test func ktapFailsOnAFailedCaseAMissingOneOrAnUncleanExit() throws {
        let rules = try rules(ktapYAML)
        let failed = rules.ktap(ktap("KTAP version 1\n1..3\nok 1 a\nnot ok 2 b\n"), exitCode: 35)
        #expect(failed.status == .failed)
        #expect(failed.kind == .ktapFailures)
        #expect(
            failed.message
                == "KTAP: failed: b; 1 planned test(s) never reported; QEMU exited with 35, expected 33 (1 error(s): main: 1 missing expected subtest(s))"
        )
        #expect(rules.ktap(KTAPParser(), exitCode: 33).message == "no KTAP output (QEMU exited with 33)")
    }

    // MARK: captures and asserts

    @Test func assertionsCompareCapturesWithNumbersAndOtherCaptures() throws {
        let yaml = """
            steps:
              - capture: {pattern: "mm: stats", as: a}
              - assert: {value: a.x, equals: 3}
            expect: running
            """
        let rules = try rules(yaml)
        let place = try waiting(yaml, at: 1)
        func assertion(_ comparison: Assertion.Comparison, _ operand: Assertion.Operand) -> Assertion {
            Assertion(value: "a.x", comparison: comparison, operand: operand)
        }
        let captures: [String: Int64] = ["a.x": 3, "a.y": 4]
        #expect(rules.check(assertion(.equals, .number(3)), captures: captures, at: place) == nil)
        #expect(rules.check(assertion(.below, .captured("a.y")), captures: captures, at: place) == nil)
        #expect(rules.check(assertion(.atMost, .number(3)), captures: captures, at: place) == nil)
        #expect(rules.check(assertion(.atLeast, .number(3)), captures: captures, at: place) == nil)
        let above = rules.check(assertion(.above, .captured("a.y")), captures: captures, at: place)
        #expect(above == Verdict(.failed, .assertionFailed, "step 2 (line 3): expected a.x (3) above a.y (4)"))
        #expect(
            rules.check(assertion(.equals, .number(4)), captures: captures, at: place)?.message
                == "step 2 (line 3): expected a.x (3) equals 4")
        #expect(
            rules.check(assertion(.equals, .captured("a.z")), captures: captures, at: place)?.message
                == "step 2 (line 3): no captured value a.z")
        #expect(
            rules.check(assertion(.equals, .number(3)), captures: [:], at: place)?.message
                == "step 2 (line 3): no captured value a.x (captured: )")
    }
}
