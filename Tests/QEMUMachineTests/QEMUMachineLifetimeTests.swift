// A real QEMU, no guest kernel (SeaBIOS idles): launch, QMP, exits told apart, cleanup.
import Foundation
import Glibc
import HostSystem
import QMP
import Testing

@testable import QEMUMachine

@Suite(.serialized, .timeLimit(.minutes(2))) struct QEMUMachineLifetimeTests {
    private func bareProfile() -> MachineProfile {
        var profile = MachineProfile()
        profile.accelerator = .tcg
        profile.vcpus = 2
        profile.memoryMiB = 32
        return profile
    }

    private func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    @Test func launchesPausedResumesAndQuitsCleanly() throws {
        let reactor = Reactor(observesInterrupts: false)
        let machine = try QEMUMachine.launch(bareProfile(), reactor: reactor, serialLog: nil)
        #expect(machine.qemuVersion.hasPrefix("7.2"))
        #expect(try machine.qmp.execute("query-status")["status"] == "prelaunch")
        try machine.resume()
        #expect(try machine.qmp.execute("query-status")["running"] == true)
        let cpus = try machine.qmp.execute("query-cpus-fast")
        if case .array(let list) = cpus { #expect(list.count == 2) } else { Issue.record("\(cpus)") }

        var directoryMode = stat()
        let directory = String(machine.sockets.qmp.dropLast("/qmp.sock".count))
        #expect(stat(directory, &directoryMode) == 0)
        #expect(directoryMode.st_mode & 0o777 == 0o700)

        var reported: ProcessExit?
        machine.onExit = { reported = $0 }
        let status = machine.shutdown()
        #expect(status == .exited(0))
        #expect(reported == .exited(0))
        #expect(!exists(directory), "the private socket directory is removed")
        #expect(kill(machine.process.pid, 0) == -1, "QEMU is gone and reaped")
        #expect(machine.qmp.transcript.entries.contains { $0.text.contains("host-qmp-quit") })
    }

    @Test func badArgumentIsALaunchFailureWithCommandStatusAndStderr() throws {
        var profile = bareProfile()
        profile.extraArguments = ["-no-such-option"]
        let reactor = Reactor(observesInterrupts: false)
        do {
            _ = try QEMUMachine.launch(profile, reactor: reactor, serialLog: nil)
            Issue.record("launch should fail")
        } catch let error as LaunchError {
            #expect(error.exitStatus == .exited(1))
            #expect(error.commandLine.contains("-no-such-option"))
            #expect(error.stderrTail.contains("-no-such-option"))
            #expect(error.description.contains("exit status 1"))
        }
    }

    /// Why launching `binary` fails ("" if it did not).
    private func launchFailure(binary: String) -> String {
        var profile = bareProfile()
        profile.qemuBinary = binary
        do {
            _ = try QEMUMachine.launch(profile, reactor: Reactor(observesInterrupts: false), serialLog: nil)
            return ""
        } catch {
            return (error as? LaunchError)?.reason ?? "not a LaunchError: \(error)"
        }
    }

    @Test func missingBinaryIsALaunchFailureNamingThePackage() throws {
        let reason = launchFailure(binary: "/nonexistent/qemu-system-x86_64")
        #expect(reason.contains("/nonexistent/qemu-system-x86_64 was not found"), "\(reason)")
        #expect(reason.contains("apt-get install qemu-system-x86"), "\(reason)")
        #expect(reason.contains("needs QEMU 6.0 or newer (tested with 7.2)"), "\(reason)")
    }

    /// A stand-in that only answers `--version` (the version check is all it meets).
    /// Its folder goes away with the returned directory.
    private func fakeQEMU(printing versionLine: String) throws -> PrivateDirectory {
        let folder = try PrivateDirectory(prefix: "fake-qemu")
        let script = "#!/bin/sh\necho '\(versionLine)'\n"
        #expect(
            FileManager.default.createFile(
                atPath: folder.file("qemu-system-x86_64"), contents: Data(script.utf8),
                attributes: [.posixPermissions: 0o755]))
        return folder
    }

    @Test func oldQEMUIsRefusedWithFoundAndNeededVersions() throws {
        let old = try fakeQEMU(printing: "QEMU emulator version 5.2.0 (Debian 1:5.2+dfsg-11+deb11u2)")
        let reason = launchFailure(binary: old.file("qemu-system-x86_64"))
        #expect(reason.contains("is QEMU 5.2.0, too old"), "\(reason)")
        #expect(reason.contains("needs QEMU 6.0 or newer (tested with 7.2)"), "\(reason)")
        #expect(reason.contains("apt-get install qemu-system-x86"), "\(reason)")
        let other = try fakeQEMU(printing: "not a QEMU at all")
        #expect(launchFailure(binary: other.file("qemu-system-x86_64")).contains("did not say which QEMU it is"))
        #expect(try QEMUInstallation.check("qemu-system-x86_64").hasPrefix("7.2"))
    }

    @Test func killedQEMUIsSeenAsSignalAndDroppedConnection() throws {
        let reactor = Reactor(observesInterrupts: false)
        let machine = try QEMUMachine.launch(bareProfile(), reactor: reactor, serialLog: nil)
        try machine.resume()
        kill(machine.process.pid, SIGKILL)
        let status = try machine.waitForExit(timeout: 10)
        #expect(status == .signaled(SIGKILL))
        #expect(throws: QMPError.self) { try machine.qmp.execute("query-status") }
        if case .connectionClosed? = machine.qmp.closedReason {
        } else {
            Issue.record("expected a dropped connection, got \(String(describing: machine.qmp.closedReason))")
        }
        #expect(machine.shutdown() == .signaled(SIGKILL))
    }

    @Test func qemuIgnoringQuitIsTerminatedBySignal() throws {
        var quick = QEMUMachine.Timeouts()
        quick.quit = 0.5
        quick.terminate = 0.5
        let machine = try QEMUMachine.launch(
            bareProfile(), reactor: Reactor(observesInterrupts: false),
            serialLog: nil, timeouts: quick)
        // A stopped QEMU cannot answer quit; the shutdown must fall through to signals. In its
        // sandbox, SIGTERM ends bubblewrap, which takes the stopped QEMU with it (SIGKILL).
        let qemu = try #require(machine.qemuProcessID)
        kill(qemu, SIGSTOP)
        let status = machine.shutdown()
        #expect(status == .signaled(SIGKILL) || (machine.appliedSandbox == .full && status == .signaled(SIGTERM)), "\(status)")
        #expect(kill(qemu, 0) == -1, "QEMU \(qemu) is gone")
    }

    @Test func autoAcceleratorRecordsItsReason() {
        let choice = AcceleratorChoice.resolve(.auto)
        #expect(choice.reason.hasPrefix("auto: "))
        #expect(AcceleratorChoice.resolve(.tcg).qemuArgument == "tcg,thread=multi")
    }
}
