// One QEMU process and its lifetime: launched paused in its own process group with its sockets
// in a private directory, then resumed; shut down with `quit`, a deadline, SIGTERM, SIGKILL, and
// always reaped. Precondition: used from the thread that runs its reactor.
import Foundation
import Glibc
import HostSystem
import QMP

public final class QEMUMachine {
    public struct Timeouts {
        /// From spawn to QMP negotiated.
        public var launch = 30.0
        /// From `quit` to exit, then from SIGTERM to exit.
        public var quit = 5.0
        public var terminate = 3.0
        public init() {}
    }

    public let profile: MachineProfile
    public let accelerator: AcceleratorChoice
    public let reactor: Reactor
    public let process: ChildProcess
    public let qmp: QMPClient
    public let serial: SerialConsole
    public let sockets: QEMUCommandLine.Sockets
    public let startedAt: MonotonicInstant
    /// What isolated this QEMU (for the run's properties).
    public private(set) var appliedSandbox = QEMUSandbox.Applied.off
    /// The QEMU process itself (inside bubblewrap, `process` is bubblewrap's); nil once gone.
    public var qemuProcessID: pid_t? { QEMUSandbox.innermostProcess(of: process.pid) }
    /// A recording (`profile.record`) is moved into this folder at shutdown.
    public var recordingDestination: String?
    /// What of the recording could not be moved, and why.
    public private(set) var recordingProblems: [String] = []
    /// Called once when QEMU has exited and been reaped.
    public var onExit: ((ProcessExit) -> Void)?

    public var exitStatus: ProcessExit? { process.exitStatus }
    public var isRunning: Bool { process.exitStatus == nil }
    public var qemuVersion: String { qmp.greeting?.version ?? "?" }
    /// The last lines QEMU wrote to stderr.
    public var stderrTail: String { String(decoding: stderrBuffer, as: UTF8.self) }

    let directory: PrivateDirectory
    private var stderrBuffer: [UInt8] = []
    private static let stderrKept = 8 * 1024
    private let timeouts: Timeouts

    static let socketDirectoryPrefix = "harness-vm"

    /// Removes socket directories left by a harness that was killed outright (its QEMUs died
    /// with it; their directories could not be removed). Returns what was removed.
    @discardableResult
    public static func removeAbandonedSocketDirectories() -> [String] {
        PrivateDirectory.removeAbandoned(prefix: socketDirectoryPrefix)
    }

    /// Starts QEMU for `profile` and returns once QMP is negotiated and the serial line is
    /// connected. The guest stays paused until `resume()`. The serial log holds at most
    /// `serialLogLimit` bytes of lines (then a marker and the last lines). QEMU runs inside
    /// `sandbox` (QEMUSandbox: always `.full` for runs; what it got is `appliedSandbox`).
    public static func launch(
        _ profile: MachineProfile, reactor: Reactor, serialLog: String?,
        serialLogLimit: Int = .max, timeouts: Timeouts = Timeouts(),
        sandbox: QEMUSandbox.Level = .full
    ) throws -> QEMUMachine {
        _ = try QEMUInstallation.check(profile.qemuBinary)
        var located = profile
        located.qemuBinary = QEMUInstallation.locate(profile.qemuBinary) ?? profile.qemuBinary
        let accelerator =
            profile.schedule == nil
            ? AcceleratorChoice.resolve(profile.accelerator, qemuBinary: located.qemuBinary)
            : AcceleratorChoice.deterministic
        let directory = try PrivateDirectory(prefix: socketDirectoryPrefix)
        var sockets = QEMUCommandLine.Sockets(
            directory: directory.path, gdb: profile.gdbStub,
            humanMonitor: profile.humanMonitor)
        let serialPipe: SerialPipe?
        do {
            serialPipe = profile.schedule == nil ? nil : try SerialPipe(directory: directory.path)
        } catch {
            directory.remove()
            throw error
        }
        sockets.serialPipe = serialPipe?.path
        var workingDirectory: String?
        if profile.record, profile.schedule != nil {
            sockets.replay = .init(
                mode: .record, log: directory.path + "/" + ReplayRecording.logName,
                drive: directory.path + "/" + ReplayRecording.driveName)
            do {
                try ReplayRecording.createDrive(at: directory.path + "/" + ReplayRecording.driveName)
                // QEMU's multiboot loader hands the guest "<-kernel path> <-append>" as its command
                // line, so the path is part of the recorded execution: the kernel is copied here
                // and named relative to QEMU's working directory, as replay.sh names it.
                if let kernel = profile.kernel {
                    try FileManager.default.copyItem(atPath: kernel, toPath: directory.path + "/" + ReplayRecording.kernelName)
                    located.kernel = ReplayRecording.kernelName
                    workingDirectory = directory.path
                }
            } catch {
                directory.remove()
                throw error
            }
        }
        let qmpListener = try UnixSocket.listen(at: sockets.qmp)
        defer { close(qmpListener) }
        let serialListener = try UnixSocket.listen(at: sockets.serial)
        defer { close(serialListener) }

        let (arguments, applied) = QEMUSandbox.wrap(
            QEMUCommandLine.arguments(for: located, accelerator: accelerator, sockets: sockets), level: sandbox,
            readOnly: (profile.kernel.map { [$0] } ?? []) + profile.modules, writable: [directory.path],
            kvm: accelerator.accelerator == .kvm, workingDirectory: workingDirectory)
        let startedAt = MonotonicInstant.now
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(arguments, killedWithSpawningThread: true)
        } catch {
            throw LaunchError(
                commandLine: arguments.map(shellQuoted).joined(separator: " "),
                reason: "\(error)", exitStatus: nil, stderrTail: "")
        }
        let serial = try SerialConsole(start: startedAt, logPath: serialLog, logLimit: serialLogLimit)
        let machine = QEMUMachine(
            profile: profile, accelerator: accelerator, reactor: reactor, process: process,
            qmpListener: qmpListener, serialListener: serialListener, serial: serial,
            sockets: sockets, directory: directory, startedAt: startedAt, timeouts: timeouts)
        machine.appliedSandbox = applied
        try machine.finishLaunch(qmpListener: qmpListener, serialListener: serialListener, serialPipe: serialPipe)
        return machine
    }

    private init(
        profile: MachineProfile, accelerator: AcceleratorChoice, reactor: Reactor, process: ChildProcess,
        qmpListener: Int32, serialListener: Int32, serial: SerialConsole,
        sockets: QEMUCommandLine.Sockets, directory: PrivateDirectory, startedAt: MonotonicInstant,
        timeouts: Timeouts
    ) {
        self.profile = profile
        self.accelerator = accelerator
        self.reactor = reactor
        self.process = process
        self.serial = serial
        self.sockets = sockets
        self.directory = directory
        self.startedAt = startedAt
        self.timeouts = timeouts
        // Connected in finishLaunch, once QEMU has connected to the listener.
        qmp = QMPClient(reactor: reactor, transcript: QMPTranscript(start: startedAt))
    }

    deinit {
        // Last line of defence: a machine dropped without shutdown() still takes QEMU with it.
        if isRunning { _ = shutdown() }
        directory.remove()
    }

    private func finishLaunch(qmpListener: Int32, serialListener: Int32, serialPipe: SerialPipe?) throws {
        reactor.watchStream(process.stderrFD) { [weak self] event in
            guard let self else { return }
            switch event {
            case .data(let bytes):
                self.stderrBuffer.append(contentsOf: bytes)
                if self.stderrBuffer.count > Self.stderrKept {
                    self.stderrBuffer.removeFirst(self.stderrBuffer.count - Self.stderrKept)
                }
            case .end:
                // stderr closes when QEMU exits: reap it now (waitpid returns at once, or nearly).
                let status = self.process.waitForExit()
                self.onExit?(status)
            }
        }
        var serialFD: Int32?
        var qmpFD: Int32?
        reactor.watchReadable(qmpListener) { qmpFD = try? UnixSocket.accept(qmpListener) }
        reactor.watchReadable(serialListener) { serialFD = try? UnixSocket.accept(serialListener) }
        defer {
            reactor.unwatch(qmpListener)
            reactor.unwatch(serialListener)
        }
        let deadline = startedAt.adding(seconds: timeouts.launch)
        do {
            let connected = try reactor.run(
                until: { (qmpFD != nil && (serialFD != nil || serialPipe != nil)) || !isRunning },
                deadline: { deadline })
            guard connected, let qmpFD, serialFD != nil || serialPipe != nil else {
                if let qmpFD { close(qmpFD) }
                if let serialFD { close(serialFD) }
                throw failure(connectedInTime: connected)
            }
            unlink(sockets.qmp)
            unlink(sockets.serial)
            if let serialFD { serial.attach(fd: serialFD, reactor: reactor) }
            qmp.connect(fd: qmpFD)
            try qmp.waitUntilReady(timeout: deadline.seconds(since: .now))
            // QEMU opened its ends of the FIFOs before its monitor greeted us.
            if let serialPipe {
                try serialPipe.open()
                serial.attach(pipe: serialPipe, reactor: reactor)
            }
        } catch let interrupted as Interrupted {
            _ = shutdown()
            throw interrupted
        } catch {
            let launchError = (error as? LaunchError) ?? failure(connectedInTime: true, cause: "\(error)")
            _ = shutdown()
            throw launchError
        }
    }

    private func failure(connectedInTime: Bool, cause: String? = nil) -> LaunchError {
        let reason: String
        if let status = process.exitStatus {
            reason = "QEMU exited before it was ready (\(status))"
        } else if let cause {
            reason = cause
        } else {
            reason = "QEMU did not connect its sockets within \(timeouts.launch)s"
        }
        if exitStatus == nil { _ = shutdown() }
        return LaunchError(
            commandLine: process.shellCommand, reason: reason, exitStatus: process.exitStatus,
            stderrTail: lastLines(stderrTail, 20))
    }

    /// Lets the guest run (QEMU was started with -S).
    public func resume() throws {
        _ = try qmp.execute("cont")
    }

    /// Waits up to `timeout` seconds for QEMU to exit on its own; nil if it is still running.
    public func waitForExit(timeout: Double, interruptible: Bool = true) throws -> ProcessExit? {
        let deadline = MonotonicInstant.now.adding(seconds: timeout)
        try reactor.run(until: { !isRunning }, deadline: { deadline }, interruptible: interruptible)
        return exitStatus
    }

    /// Sends `signal` to QEMU itself. Inside its sandbox QEMU is bubblewrap's grandchild, in a
    /// pid namespace whose init ignores SIGTERM: signalling the group would end the bubblewrap
    /// we wait for at once and leave QEMU to finish on its own, after the harness moved on.
    /// Bubblewrap exits once QEMU has, so waiting for the process we spawned waits for QEMU.
    private func signalQEMU(_ signal: Int32) {
        if let qemu = qemuProcessID, qemu != process.pid {
            kill(qemu, signal)
        } else {
            process.signalGroup(signal)
        }
    }

    /// Ends QEMU however it can and reaps it: close the console, `quit`, wait; SIGTERM to QEMU,
    /// wait; SIGKILL to QEMU, wait; SIGKILL to the group, reap. Safe to call more than once, and
    /// after QEMU already exited.
    @discardableResult
    public func shutdown() -> ProcessExit {
        // Keep the guest's last words when it has already gone; otherwise close the console
        // first so a QEMU blocked on a full console can still act on `quit`.
        if !isRunning { serial.drain() }
        serial.detach()
        if isRunning && qmp.isReady {
            qmp.send("quit")
            _ = try? waitForExit(timeout: timeouts.quit, interruptible: false)
        }
        if isRunning {
            signalQEMU(SIGTERM)
            _ = try? waitForExit(timeout: timeouts.terminate, interruptible: false)
        }
        if isRunning {
            signalQEMU(SIGKILL)
            _ = try? waitForExit(timeout: timeouts.terminate, interruptible: false)
        }
        if isRunning {
            process.signalGroup(SIGKILL)
        }
        let status = process.waitForExit()
        reactor.unwatch(process.stderrFD)
        qmp.close()
        moveRecording()
        directory.remove()
        return status
    }

    /// A recorded run's log, snapshot drive and kernel go to `recordingDestination` once QEMU has
    /// finished writing them (at its exit), before the private directory goes; what could not be
    /// moved is in `recordingProblems`.
    private func moveRecording() {
        guard let files = sockets.replay, let destination = recordingDestination else { return }
        recordingDestination = nil
        var moved = [(files.log, ReplayRecording.logName), (files.drive, ReplayRecording.driveName)]
        if profile.kernel != nil { moved.append((directory.path + "/" + ReplayRecording.kernelName, ReplayRecording.kernelName)) }
        for (source, name) in moved {
            let target = destination + "/" + name
            try? FileManager.default.removeItem(atPath: target)
            do { try FileManager.default.moveItem(atPath: source, toPath: target) } catch {
                recordingProblems.append("\(name): \(error.localizedDescription)")
            }
        }
    }
}

/// The last `count` lines of `text`.
func lastLines(_ text: String, _ count: Int) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
}
