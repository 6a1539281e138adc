// `--record`: a deterministic 1-vCPU run recorded by QEMU (ReplayRecording). A failed run keeps
// the replay log, its snapshot drive, the kernel image it ran (moved there at shutdown with the
// log) and its ELF, the QEMU binary's
// version and SHA-256, and `replay.sh`, which replays the run stopped at its first instruction
// with a gdbstub: gdb's reverse-stepi and `monitor replay_seek N` then work on it (QEMU 7.2's
// reverse-continue hangs here: docs/harness.md, "Record and replay").
import Foundation
import HostSystem
import KernelSymbols
import QEMUMachine

extension ScenarioRun {
    /// Completes the recording in the artifacts (the log, drive and kernel image are there
    /// already): the ELF, the QEMU binary's identity and replay.sh. Returns the verdict's lines
    /// saying how to open it (or why it is incomplete). A module (`-initrd`) is named at its
    /// original path.
    func keepRecording(_ machine: QEMUMachine) -> [String] {
        guard machine.sockets.replay != nil else { return [] }
        let manager = FileManager.default
        // The log and the drive were moved here at shutdown (QEMUMachine.recordingDestination).
        var problems = machine.recordingProblems
        func copy(_ source: String, _ name: String) {
            let target = "\(artifactsPath)/\(name)"
            try? manager.removeItem(atPath: target)
            do { try manager.copyItem(atPath: source, toPath: target) } catch {
                problems.append("\(name): \(fileErrorText(error))")
            }
        }
        let profile = machine.profile
        if let kernel = profile.kernel {
            let elf = SymbolMapCache.symbolsPath(forImage: kernel, symbols: profile.symbols)
            if elf != kernel, (try? ELFImage(path: elf)) != nil { copy(elf, "kernel.elf") }
        }
        let qemu = QEMUInstallation.locate(profile.qemuBinary) ?? profile.qemuBinary
        let identity = ReplayRecording.binaryIdentity(qemu)
        writeArtifact("qemu-binary.txt", identity)
        let words = ReplayRecording.replayArguments(profile, qemuBinary: qemu)
        let script = """
            #!/bin/sh
            # Replays this recorded run (QEMU rr=replay) from its first instruction, stopped (-S),
            # with a gdbstub on 127.0.0.1:${GDB_PORT:-1234}; the console goes to replay-serial.log.
            # Then, from this folder:
            #   gdb kernel.elf -ex 'target remote 127.0.0.1:1234' -ex 'break SYMBOL' -ex continue -ex reverse-stepi
            # reverse-stepi works, and `monitor replay_seek N` then `continue` goes to instruction
            # count N (`monitor info replay` shows it): QEMU loads the start snapshot from
            # \(ReplayRecording.driveName) and replays forward. (QEMU 7.2's reverse-continue hangs
            # here: docs/harness.md.) The log replays only under the QEMU build that wrote it:
            \(identity.split(separator: "\n").map { "#   " + $0 }.joined(separator: "\n"))
            cd "$(dirname "$0")" || exit 1
            exec \(words.map(shellQuoted).joined(separator: " ")) -gdb "tcp:127.0.0.1:${GDB_PORT:-1234}" "$@"

            """
        writeArtifact("replay.sh", script)
        chmod("\(artifactsPath)/replay.sh", 0o755)
        var lines = [
            "recorded (QEMU record/replay, one vCPU): replay under gdb with \(artifactsPath)/replay.sh, then "
                + "gdb \(artifactsPath)/kernel.elf -ex 'target remote 127.0.0.1:1234' (reverse-stepi and monitor replay_seek N work)"
        ]
        if !problems.isEmpty { lines.append("recording incomplete: " + problems.joined(separator: "; ")) }
        return lines
    }
}
