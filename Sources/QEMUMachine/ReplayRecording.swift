// QEMU's own record/replay (`-icount ...,rr=record|replay,rrfile=F,rrsnapshot=NAME`) for a
// deterministic run on one vCPU (QEMU 7.2 refuses it with `-smp` above 1: "Record/replay feature
// is not supported for 'smp'", softmmu/vl.c). Recording writes every host event the guest sees
// (clock reads, console input, interrupts from outside) with its instruction count; replay feeds
// them back, and with a snapshot at the start (a qcow2 drive QEMU writes it to) gdb's
// `reverse-stepi` and `monitor replay_seek N` work on the replay: QEMU goes back to the snapshot
// and replays forward to the instruction asked for (reverse-continue hangs QEMU 7.2 here). The
// log is tied to the QEMU build that wrote it, so a recording keeps that binary's version and
// SHA-256 beside it.
import Crypto
import Foundation
import HostSystem

public enum ReplayRecording {
    /// File names inside the VM's private directory, and in a failed run's artifacts.
    public static let logName = "replay.bin"
    public static let driveName = "replay.qcow2"
    /// The kernel image, named relative to QEMU's working directory in both (its path is part of
    /// the guest's multiboot command line, so of the recorded execution).
    public static let kernelName = "kernel.img"
    /// The snapshot QEMU takes at the start of the recording and loads to replay.
    public static let snapshotName = "start"
    /// The drive's id: no device uses it, QEMU only keeps snapshots in it.
    static let driveID = "replay-snapshots"

    public enum Mode: String { case record, replay }

    /// `-icount` suboptions and the snapshot drive for `mode`, with the log and drive at the
    /// paths given (absolute while recording in the private directory, relative in replay.sh).
    static func arguments(_ mode: Mode, shift: Int, log: String, drive: String) -> [String] {
        [
            "-icount", "shift=\(shift),sleep=off,rr=\(mode.rawValue),rrfile=\(log),rrsnapshot=\(snapshotName)",
            "-drive", "file=\(drive),if=none,id=\(driveID)",
        ]
    }

    /// Why `profile` cannot be recorded, or nil.
    public static func problem(recording profile: MachineProfile) -> String? {
        profile.vcpus == 1
            ? nil
            : "--record needs one vCPU: QEMU's record/replay refuses -smp above 1 (\"Record/replay feature is not "
                + "supported for 'smp'\"), and this run has \(profile.vcpus); run a 1-vCPU scenario (machine: {vcpus: 1}), "
                + "or --deterministic without --record, which replays by seed on any vCPU count"
    }

    /// Creates the empty qcow2 drive QEMU keeps the start snapshot in (`qemu-img`, Debian's
    /// qemu-utils): in the VM's private directory, the one place the sandboxed QEMU may write.
    static func createDrive(at path: String) throws {
        let command = ["qemu-img", "create", "-q", "-f", "qcow2", path, "64M"]
        guard QEMUInstallation.locate("qemu-img") != nil else {
            throw LaunchError(
                commandLine: command.joined(separator: " "),
                reason: "--record needs qemu-img for its snapshot drive: install the Debian package qemu-utils "
                    + "(`apt-get install qemu-utils`, or `make deps` as root)",
                exitStatus: nil, stderrTail: "")
        }
        let process = try ChildProcess.spawn(command, capturingStdout: true)
        let (output, status) = QEMUInstallation.collectOutput(of: process)
        guard status == .exited(0) else {
            throw LaunchError(
                commandLine: command.joined(separator: " "), reason: "qemu-img could not create the snapshot drive (\(status))",
                exitStatus: status, stderrTail: output)
        }
    }

    /// `qemu-system-x86_64 --version`'s first line and the binary's SHA-256: what a log is tied to.
    public static func binaryIdentity(_ binary: String) -> String {
        let path = QEMUInstallation.locate(binary) ?? binary
        var text = "binary: \(path)\n"
        if let process = try? ChildProcess.spawn([path, "--version"], capturingStdout: true) {
            let (output, _) = QEMUInstallation.collectOutput(of: process)
            text += "version: " + (output.split(separator: "\n").first.map(String.init) ?? "?") + "\n"
        }
        if let data = FileManager.default.contents(atPath: path) {
            text += "sha256: " + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() + "\n"
        }
        return text
    }

    /// The command that replays a recording kept in a folder holding `replay.bin`,
    /// `replay.qcow2` and the kernel image (`kernelName`): the recorded machine, its console to
    /// `replay-serial.log`, stopped at the start (-S).
    /// (The caller adds `-gdb`.)
    public static func replayArguments(_ profile: MachineProfile, qemuBinary: String) -> [String] {
        var replayed = profile
        replayed.qemuBinary = qemuBinary
        replayed.kernel = kernelName
        replayed.record = false
        var sockets = QEMUCommandLine.Sockets(directory: ".", gdb: false)
        sockets.replay = .init(mode: .replay, log: logName, drive: driveName)
        sockets.consoleFile = "replay-serial.log"
        return QEMUCommandLine.arguments(for: replayed, accelerator: .deterministic, sockets: sockets)
    }
}
