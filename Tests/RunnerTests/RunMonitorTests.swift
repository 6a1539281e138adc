// The run monitor fed real QMP events and serial lines (as QEMU and our kernel send them).
import Glibc
import HostSystem
import QEMUMachine
import QMP
import TestSupport
import Testing

@testable import Runner
@testable import Scenario

@Suite struct RunMonitorTests {
    private func monitor(_ yaml: String = "expect: running\n", serial: SerialConsole? = nil) throws -> RunMonitor {
        let scenario = try ScenarioParser.parse(
            yaml, file: "m.yaml", profiles: try ProfileLibrary.parse(Self.ourProfile, file: "/p/profiles.yaml"))
        return RunMonitor(scenario: scenario, serial: try serial ?? SerialConsole(start: .now, logPath: nil))
    }

    /// Our kernel's profile, contract included (scenarios/profiles.yaml).
    static let ourProfile = OurKernel.profiles

    private func event(_ text: String) -> QMPEvent {
        guard case .message(let message, _)? = QMPFramer().feed(Array(text.utf8)).first,
            let name = message["event"]?.stringValue
        else { fatalError("not an event: \(text)") }
        return QMPEvent(name: name, data: message["data"] ?? [:])
    }

    @Test func stopTheScenarioAskedForPausesWithoutEndingTheRun() throws {
        let monitor = try monitor()
        monitor.stopsRequested += 1
        monitor.observe(event(#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}"#))
        #expect(!monitor.hasEnded)
        #expect(!monitor.stoppedByQEMU)
    }

    @Test func theDisplayWatchRunsFromItsLineToItsLineAndIsJudgedByAScreenshotPastItsLimit() throws {
        let monitor = try monitor("watchdogs: {silence: off, display: {within: 100ms, after: go, until: done}}\nexpect: hang\n")
        #expect(monitor.nextScreenSample() == nil, "off before its `after` line")
        monitor.observe(SerialLine(text: "go", time: 1))
        let due = try #require(monitor.nextScreenSample())
        // The limit passes (the clock is the event here).
        while MonotonicInstant.now < due { usleep(UInt32(max(1, due.seconds(since: .now) * 1e6))) }
        try monitor.checkWatchdogs(stepDeadline: nil)  // no screenshot since the limit: not judged yet
        monitor.observeScreen(changed: true)
        try monitor.checkWatchdogs(stepDeadline: nil)  // it changed: a new interval
        let next = try #require(monitor.nextScreenSample())
        while MonotonicInstant.now < next.adding(seconds: 0.1) { usleep(20_000) }
        monitor.observeScreen(changed: false)
        #expect(throws: WatchdogFired.self) { try monitor.checkWatchdogs(stepDeadline: nil) }
        monitor.observe(SerialLine(text: "done", time: 2))
        #expect(monitor.nextScreenSample() == nil, "off after its `until` line")
        try monitor.checkWatchdogs(stepDeadline: nil)
    }

    @Test func stopNobodyAskedForEndsTheRun() throws {
        // What QEMU sends when KVM hits an internal error: a bare STOP.
        let monitor = try monitor()
        monitor.observe(event(#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}"#))
        #expect(monitor.stoppedByQEMU)
        #expect(monitor.hasEnded)
    }

    @Test func shutdownWithGuestResetIsATripleFault() throws {
        let monitor = try monitor()
        monitor.observe(
            event(
                #"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-reset"}}"#
            ))
        #expect(monitor.tripleFault)
        #expect(monitor.hasEnded)
    }

    @Test func panicLineStartsTheReportAndTheRunEndsWithThePanicExit() throws {
        let monitor = try monitor("machine: {vcpus: 2}\nexpect: {panic: \"out of memory\"}\n")
        monitor.observe(SerialLine(text: "KERNEL PANIC: out of memory in the Swift runtime allocator size=65568", time: 1))
        #expect(monitor.panicked)
        #expect(monitor.expectedPanicMatched)
        #expect(!monitor.hasEnded, "the report is still being printed")
        monitor.observe(
            SerialLine(text: "cpu=1 rip=0x0000000000101234 rsp=0x0000000000201000 rbp=0x0 rflags=0x00000046", time: 1.05))
        monitor.observe(
            SerialLine(text: "cpu=0 stopped rip=0x0000000000105678 rsp=0x1 rflags=0x00000202 interrupts=on by=ipi", time: 1.06))
        #expect(monitor.facts.panicCPUs == [0, 1])
        monitor.observe(SerialLine(text: "end of panic report", time: 1.1))
        #expect(!monitor.hasEnded, "the contract says a panic exits with 37: wait for it (or the grace)")
        monitor.exited(.exited(37))
        #expect(monitor.hasEnded)
    }

    @Test func withoutAContractNoLineIsAPanicAndNoStatusIsPresumed() throws {
        var machine = MachineProfile()
        machine.kernel = "/k.img"
        let library = ProfileLibrary(profiles: ["default": .init(machine: machine, never: [])], file: nil)
        let scenario = try ScenarioParser.parse("expect: {exit: 0}\n", file: "m.yaml", profiles: library)
        let monitor = RunMonitor(scenario: scenario, serial: try SerialConsole(start: .now, logPath: nil))
        monitor.observe(SerialLine(text: "KERNEL PANIC: out of memory", time: 1))
        monitor.exited(.exited(37))
        #expect(!monitor.panicked)
        monitor.observe(
            event(#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "GUEST_PANICKED", "data": {"action": "pause"}}"#))
        #expect(monitor.panicked, "pvpanic is generic")
    }

    @Test func underPanicHaltTheReportEndsWhenTheKernelSaysItHalted() throws {
        let monitor = try monitor("machine: {cmdline: \"panic=halt debug=panic\"}\nexpect: running\n")
        monitor.observe(SerialLine(text: "KERNEL PANIC: deliberate panic (debug=panic)", time: 1))
        monitor.observe(SerialLine(text: "end of panic report", time: 1.1))
        #expect(!monitor.hasEnded, "CPU0 has yet to halt")
        monitor.observe(SerialLine(text: "panic: halted (panic=halt): attach a debugger", time: 1.2))
        #expect(monitor.hasEnded)
    }

    @Test func exitEndsTheRunOnlyOnceTheConsoleHasEnded() throws {
        let (ours, theirs) = try UnixSocket.pair()
        let reactor = Reactor(observesInterrupts: false)
        let serial = try SerialConsole(start: .now, logPath: nil)
        serial.attach(fd: ours, reactor: reactor)
        defer { serial.detach() }
        let monitor = try monitor("machine: {cmdline: \"ktest=*\"}\nexpect: ktap\n", serial: serial)
        serial.onLine = { monitor.observe($0) }
        monitor.exited(.exited(33))
        #expect(!monitor.hasEnded, "QEMU's last lines may still be in the serial socket")
        // The last lines, then QEMU's end of the socket: now the run has ended, with them read.
        try writeAll(theirs, Array("KTAP version 1\n1..1\nok 1 last\n".utf8))
        close(theirs)
        let ended = try reactor.run(until: { serial.reachedEnd }, deadline: { MonotonicInstant.now.adding(seconds: 10) })
        #expect(ended)
        #expect(monitor.hasEnded)
        #expect(monitor.facts.ktap.document.tests.map(\.name) == ["last"])
    }

    @Test func capturesKeepIntegerFieldsOnly() throws {
        let monitor = try monitor()
        let count = monitor.capture("mm: stats heap.bytes=4096 heap.blocks=3 frames.free=31000 note=x", as: "boot")
        #expect(count == 3)
        #expect(monitor.captures == ["boot.heap.bytes": 4096, "boot.heap.blocks": 3, "boot.frames.free": 31000])
    }

    @Test func waitingStepsConsumeLinesInOrder() throws {
        let monitor = try monitor()
        for text in ["mm: stats a=1", "shell: ready", "mm: stats a=2"] { monitor.observe(SerialLine(text: text, time: 0)) }
        let pattern = try Pattern("mm: stats")
        #expect(monitor.takeLine(matching: try Pattern("shell: ready")) == "shell: ready")
        #expect(monitor.takeLine(matching: pattern) == "mm: stats a=2", "lines before the last match are gone")
        #expect(monitor.takeLine(matching: pattern) == nil)
    }

    @Test func aWaitReCheckedAsLinesArriveStillFindsEveryLine() throws {
        // A wait looks only at lines that came since it last looked; other patterns, and the
        // same pattern after the backlog was trimmed, must still see everything kept.
        let monitor = try monitor()
        let done = try Pattern("storm: done")
        let round = try Pattern("/storm: round [0-9]+/")
        for index in 0..<5 { monitor.observe(SerialLine(text: "storm: round \(index)", time: 0)) }
        #expect(monitor.takeLine(matching: done) == nil)
        monitor.observe(SerialLine(text: "heartbeat: x=1", time: 0))
        #expect(monitor.takeLine(matching: done) == nil)
        #expect(monitor.takeLine(matching: round) == "storm: round 0", "another pattern reads the lines the wait skipped")
        monitor.observe(SerialLine(text: "storm: done kind=mixed", time: 0))
        #expect(monitor.takeLine(matching: done) == "storm: done kind=mixed")
        #expect(monitor.lineBacklog.isEmpty)
        // Past the backlog's limit the oldest half goes; the wait's place moves with it.
        for index in 0..<(RunMonitor.backlogLimit - 1) { monitor.observe(SerialLine(text: "noise \(index)", time: 0)) }
        #expect(monitor.takeLine(matching: done) == nil)
        monitor.observe(SerialLine(text: "storm: done again", time: 0))  // the 10,000th line
        monitor.observe(SerialLine(text: "noise after", time: 0))  // trims the oldest half first
        #expect(monitor.lineBacklog.count == RunMonitor.backlogLimit / 2 + 1)
        #expect(monitor.takeLine(matching: done) == "storm: done again")
    }
}
