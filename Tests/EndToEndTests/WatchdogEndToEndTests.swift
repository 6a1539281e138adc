// Every way a run can end, with the real kernel: the verdict must name what happened.
import Glibc
import HostSystem
import QEMUMachine
import Runner
import Testing

@testable import QMP

@Suite(.serialized, .timeLimit(.minutes(5))) struct WatchdogEndToEndTests {
    @Test func ktapSelfTestsBecomeCasesAndTheSeedReachesTheKernel() throws {
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "ktest=* seed={seed}"}
            steps:
              - wait-serial: {pattern: "/kernel: ready .*seed=4242/", within: 30s}
            expect: {ktap: all-pass}
            """)
        #expect(result.verdict.status == .passed, "\(result.verdict)")
        let cases = result.ktap?.leafCases() ?? []
        #expect(cases.count > 5)
        #expect(cases.allSatisfy { $0.suite.count == 1 }, "cases sit inside their suite")
        #expect(result.properties.contains { $0.name == "kernel.sha256" && $0.value.count == 64 })
        #expect(result.properties.contains { $0.name == "qemu.version" && $0.value.hasPrefix("7.2") })
    }

    @Test func hangWhereNoneIsExpectedIsAnErrorNamedHangWithDiagnosis() throws {
        var hanging: MonotonicInstant?
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "debug=hang"}
            watchdogs: {silence: 3s, deadline: 60s}
            expect: {exit: 33}
            """, onLine: { if $0.text.hasPrefix("debug: hanging") { hanging = .now } })
        #expect(result.verdict.status == .error)
        #expect(result.verdict.kind == .hang)
        #expect(result.verdict.watchdog == .serialSilence)
        #expect(result.verdict.details.contains("QEMU run state: running"), "the live VM went to the diagnoser")
        #expect(result.lastLines.contains("debug: hanging"))
        // Timed from the guest's last line, not from launch: a loaded host's slow boot is no part of it.
        let since = MonotonicInstant.now.seconds(since: try #require(hanging))
        #expect(since < 3 + 15, "the 3 s silence watchdog ended it, not the 60 s deadline (\(since) s)")
    }

    @Test func progressWatchdogCatchesAGuestThatStopsReporting() throws {
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "debug=silent"}
            watchdogs: {silence: off, progress: {pattern: "mm: stats", within: 3s}}
            expect: hang
            """)
        #expect(result.verdict.status == .passed, "\(result.verdict)")
        #expect(result.verdict.watchdog == .noProgress)
    }

    /// QEMU killed from outside (SIGKILL, or SIGSEGV as a crash of its own would), while the
    /// guest boots (paused, before `cont`) or in the middle of a step.
    @Test(arguments: [(SIGKILL, "boot"), (SIGSEGV, "boot"), (SIGKILL, "step 1 (line 4)"), (SIGSEGV, "step 1 (line 4)")])
    func killedQEMUIsACrash(signal: Int32, moment: String) throws {
        var pid: pid_t = 0
        var qemu: pid_t?
        var killedAt: MonotonicInstant?
        // Inside its sandbox QEMU is bubblewrap's child: the signal goes to the process the
        // harness waits for (bubblewrap), and QEMU is killed at once too, as QEMU alone was
        // before (bubblewrap's own would come a moment later, after the harness moved on).
        func killBoth() {
            killedAt = .now
            kill(pid, signal)
            if let qemu { kill(qemu, SIGKILL) }
        }
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "debug=silent"}
            watchdogs: {silence: 30s}
            steps:
              - wait-serial: {pattern: "never printed", within: 30s}
            expect: running
            """,
            onLaunch: { machine in
                pid = machine.process.pid
                qemu = machine.qemuProcessID
                if moment == "boot" { killBoth() }
            },
            onLine: { line in
                if line.text.hasPrefix("kernel: ready") { killBoth() }
            })
        #expect(result.verdict.status == .error, "\(result.verdict)")
        #expect(result.verdict.kind == .crash)
        #expect(result.verdict.watchdog == .qemuGone)
        #expect(result.verdict.message.contains("killed by signal \(signal)"), "\(result.verdict)")
        #expect(result.verdict.message.hasSuffix("during \(moment)"), "\(result.verdict)")
        #expect(result.artifacts != nil)
        let since = MonotonicInstant.now.seconds(since: try #require(killedAt))
        #expect(since < 15, "no wait for a QEMU that is gone: the step would wait 30 s (\(since) s)")
    }

    @Test func qmpConnectionLostMidRunIsAnErrorNotAHang() throws {
        var qmpSocket: Int32 = -1
        var closedAt: MonotonicInstant?
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "debug=silent"}
            watchdogs: {silence: 30s}
            steps:
              - wait-serial: "kernel: ready"
              - qmp: {execute: query-status, expect: {running: true}}
            expect: running
            """, onLaunch: { qmpSocket = $0.qmp.fd },
            onLine: { line in
                // QMP's socket dies under the harness (as when QEMU's monitor goes away) just
                // as the guest is up.
                if line.text.hasPrefix("kernel: ready") {
                    closedAt = .now
                    shutdown(qmpSocket, Int32(SHUT_RDWR))
                }
            })
        #expect(result.verdict.status == .error, "\(result.verdict)")
        #expect(result.verdict.kind == .infrastructure)
        #expect(result.verdict.message.contains("step 2 (line 5)"), "\(result.verdict)")
        #expect(result.verdict.message.contains("QMP"), "\(result.verdict)")
        let since = MonotonicInstant.now.seconds(since: try #require(closedAt))
        #expect(since < 15, "the step fails at once, not after its 30 s (\(since) s)")
    }

    @Test func missingLineIsAFailureAtItsStep() throws {
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "debug=silent"}
            watchdogs: {silence: off}
            steps:
              - wait-serial: "kernel: ready"
              - wait-serial: {pattern: "this line never comes", within: 2s}
            expect: running
            """)
        #expect(result.verdict.status == .failed)
        #expect(result.verdict.kind == .expectedLineMissing)
        #expect(result.verdict.watchdog == .stepDeadline)
        #expect(result.verdict.message.hasPrefix("step 2 (line 5)"))
    }

    @Test func exitBeforeAStepIsDoneIsAFailureEvenWithTheExpectedStatus() throws {
        // The expected exit status does not make up for a capture that was never made.
        var lastLine = MonotonicInstant.now
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "ktest=frames.*"}
            steps:
              - capture: {pattern: "this line never comes", as: never, within: 60s}
            expect: {exit: 33}
            """, onLine: { _ in lastLine = .now })
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.kind == .expectedLineMissing)
        #expect(result.verdict.message.hasPrefix("step 1 (line 3): the run ended (exited with 33"))
        #expect(MonotonicInstant.now.seconds(since: lastLine) < 15, "the exit ends the wait at once, not its 60 s")
    }

    @Test func anExpectedPanicDoesNotMakeUpForALineThatNeverCame() throws {
        // A panic the scenario expects still fails the run while a step waits for its line.
        var lastLine = MonotonicInstant.now
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "ktest=crash.swift_trap"}
            steps:
              - wait-serial: {pattern: "this line never comes", within: 60s}
            expect: {panic: "KERNEL PANIC:"}
            """, onLine: { _ in lastLine = .now })
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.kind == .expectedLineMissing)
        #expect(
            result.verdict.message.hasPrefix("step 1 (line 3): the run ended before a serial line matching"),
            "\(result.verdict.message)")
        #expect(MonotonicInstant.now.seconds(since: lastLine) < 15, "the panic ends the wait at once, not its 60 s")
    }

    @Test func stepsReadingThePanicReportRunOnAfterThePanicEndsTheRun() throws {
        // The report's lines arrive faster than the steps read them: they are still read, in order.
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "ktest=crash.swift_trap"}
            steps:
              - wait-serial: "kernel: ready"
              - wait-serial: "KERNEL PANIC: invalid opcode"
              - capture: {pattern: "mm: stats", as: stats}
              - assert: {value: stats.heap.window, equals: 268435456}
              - wait-serial: "end of panic report"
            expect: {panic: "KERNEL PANIC: invalid opcode"}
            """)
        #expect(result.verdict.status == .passed, "\(result.verdict)")
    }

    @Test func captureKeepsWhenTheLineCame() throws {
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "ktest=frames.*"}
            steps:
              - capture: {pattern: "kernel: ready", as: ready, within: 60s}
            expect: {ktap: all-pass}
            """)
        #expect(result.verdict.status == .passed, "\(result.verdict)")
        let at = result.captures["ready.at_ms"] ?? -1
        let own = result.captures["ready.boot_ms"] ?? -1
        #expect(
            own >= 0 && at >= own, "seen by the harness (\(at) ms after launch) no sooner than the kernel's own boot_ms (\(own))")
    }

    @Test func forbiddenLineFailsTheRun() throws {
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "ktest=*"}
            never: ["Invalid block or double free"]
            expect: {exit: 33}
            """)
        #expect(result.verdict.status == .failed)
        #expect(result.verdict.kind == .forbiddenLine)
    }

    @Test func unexpectedPanicIsAnErrorAndExpectedOnePasses() throws {
        let unexpected = try KernelScenario.run("machine: {cmdline: \"debug=panic\"}\nexpect: {exit: 33}\n")
        #expect(unexpected.verdict.status == .error)
        #expect(unexpected.verdict.kind == .panic)
        #expect(unexpected.verdict.message.contains("deliberate panic"))
        let expected = try KernelScenario.run("machine: {cmdline: \"debug=panic\"}\nexpect: {panic: \"/deliberate panic/\"}\n")
        #expect(expected.verdict.status == .passed, "\(expected.verdict)")
        #expect(expected.verdict.watchdog == .guestPanic)
    }

    @Test func tripleFaultIsNamedAsSuch() throws {
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "debug=triplefault"}
            steps:
              - wait-serial: "kernel: ready"
              - pause: 20s
            expect: running
            """)
        #expect(result.verdict.status == .error)
        #expect(result.verdict.kind == .tripleFault)
    }

    @Test func qmpStepsCapturesAndAPausedGuestDoesNotTripTheSilenceWatchdog() throws {
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "debug=silent"}
            watchdogs: {silence: 2s}
            steps:
              - wait-serial: "kernel: ready"
              - capture: {pattern: "mm: stats", as: boot}
              - assert: {value: boot.heap.failed, equals: 0}
              - assert: {value: boot.frames.free, at-most: boot.frames.total}
              - qmp: {execute: query-status, expect: {running: true}}
              - qmp: {execute: system_wakeup, expect-error: GenericError}
              - qmp: stop
              - wait-event: STOP
              - pause: 3s
              - qmp: {execute: query-status, expect: {status: paused}}
              - qmp: cont
              - wait-event: {event: RESUME, within: 5s}
            expect: running
            """)
        #expect(result.verdict.status == .passed, "\(result.verdict)")
    }

    @Test func failedAssertionNamesValuesAndStep() throws {
        let result = try KernelScenario.run(
            """
            machine: {cmdline: "debug=silent"}
            steps:
              - capture: {pattern: "mm: stats", as: boot}
              - assert: {value: boot.frames.free, below: 10}
            expect: running
            """)
        #expect(result.verdict.status == .failed)
        #expect(result.verdict.kind == .assertionFailed)
        #expect(result.verdict.message.contains("step 2 (line 4): expected boot.frames.free ("))
    }

    @Test func launchFailureCarriesCommandStatusAndStderr() throws {
        let result = try KernelScenario.run("machine: {qemu-args: [-machine, no-such-machine]}\nexpect: running\n")
        #expect(result.verdict.status == .error)
        #expect(result.verdict.kind == .launchFailure)
        #expect(result.verdict.message.contains("exit status 1"))
        #expect(result.verdict.message.contains("no-such-machine"))
    }
}
