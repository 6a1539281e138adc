// --record against the real kernel and QEMU: a failed 1-vCPU run keeps QEMU's replay log, and
// the replay command it writes replays the run to the same console; more than one vCPU is
// refused before QEMU starts.
import Crypto
import Foundation
import QEMUMachine
import Runner
import Scenario
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct RecordReplayEndToEndTests {
    @Test func aRecordedFailureReplaysToTheSameConsole() throws {
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent(
            "rr-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: artifacts) }
        // The kernel panics on purpose (debug=panic); the scenario expects a clean exit, so the run fails.
        let result = try KernelScenario.run(
            "machine: {vcpus: 1, cmdline: \"debug=panic seed={seed}\"}\nexpect: {exit: 33}\n",
            seed: 3, artifacts: artifacts,
            configure: {
                $0.record = true
                $0.reproduceFailures = false
            })
        #expect(result.verdict.kind == .panic)
        #expect(result.properties.first { $0.name == "mode" }?.value == "deterministic")
        let folder = try #require(result.artifacts)
        #expect(
            result.verdict.details.contains {
                $0.hasPrefix("recorded (QEMU record/replay, one vCPU): replay under gdb with \(folder)/replay.sh")
            })
        for name in ["replay.bin", "replay.qcow2", "kernel.img", "kernel.elf", "replay.sh", "qemu-binary.txt"] {
            #expect(FileManager.default.fileExists(atPath: "\(folder)/\(name)"), "\(name) kept")
        }
        #expect(FileManager.default.isExecutableFile(atPath: "\(folder)/replay.sh"))
        let identity = try String(contentsOfFile: "\(folder)/qemu-binary.txt", encoding: .utf8)
        #expect(identity.contains("version: QEMU emulator version") && identity.contains("sha256: "))

        // replay.sh's command without the stop for gdb: QEMU replays the log to the end by itself.
        let script = try String(contentsOfFile: "\(folder)/replay.sh", encoding: .utf8)
        let exec = try #require(script.split(separator: "\n").first { $0.hasPrefix("exec ") })
        let command = exec.dropFirst("exec ".count).replacingOccurrences(of: " -S ", with: " ")
            .replacingOccurrences(of: " -gdb \"tcp:127.0.0.1:${GDB_PORT:-1234}\" \"$@\"", with: "")
        #expect(command.contains("rr=replay,rrfile=replay.bin,rrsnapshot=start"))
        let replay = Process()
        replay.executableURL = URL(fileURLWithPath: "/bin/sh")
        replay.arguments = ["-c", "exec " + command]
        replay.currentDirectoryURL = URL(fileURLWithPath: folder)
        try replay.run()
        replay.waitUntilExit()
        #expect(replay.terminationStatus == 37, "the replayed kernel panics and exits with its panic status")
        let console = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/replay-serial.log"))
        let hash = SHA256.hash(data: console).map { String(format: "%02x", $0) }.joined()
        #expect(hash == result.properties.first { $0.name == "serial.sha256" }?.value, "the replay printed the recorded console")
        #expect(console.count == result.serialBytes)
    }

    @Test func moreThanOneVCPUIsRefused() throws {
        let result = try KernelScenario.run("machine: {vcpus: 2}\nexpect: {exit: 33}\n", configure: { $0.record = true })
        #expect(result.verdict.kind == .launchFailure)
        #expect(result.verdict.message.contains("--record needs one vCPU"), "\(result.verdict.message)")
    }
}
