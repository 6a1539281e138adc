// A disk that is full while the harness writes its artifacts and its report: a 64 KiB tmpfs,
// filled before the run. The harness must say so, fail (no report is not a pass), leave no
// partial report pretending to be complete, and still leave no QEMU and no socket directory.
// The tmpfs exists only in a mount namespace the test makes for itself (`unshare --mount`):
// the harness runs inside it, nothing is mounted on the host, and the filler is written only
// once the mount is in place, so a machine that refuses the mount cannot have its disk filled.
import Foundation
import TestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct DiskFullEndToEndTests {
    /// Inside a private mount namespace: mount a 64 KiB tmpfs at $1 (exit 97 if that fails,
    /// before anything is written), fill it (at most 32 blocks of 4 KiB, whatever happens),
    /// run the command after $1, then list $1 on stdout: the tmpfs vanishes with the namespace.
    private static let script = """
        mount -t tmpfs -o size=64k tmpfs "$1" || exit 97
        mountpoint -q "$1" || exit 97
        dd if=/dev/zero of="$1/filler" bs=4k count=32 2>/dev/null
        disk=$1; shift
        "$@"; status=$?
        echo "status=$status"
        ls -a "$disk"
        """

    private struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `command` with `disk` a full tmpfs in a mount namespace of its own.
    private static func inFullDisk(_ disk: URL, _ command: [String]) throws -> Outcome {
        let result = try Tool.run(
            ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", disk.path]
                + command)
        return Outcome(status: result.status, stdout: result.output, stderr: result.errors)
    }

    /// Whether this machine lets the test make a mount namespace and mount a tmpfs in it (root
    /// with CAP_SYS_ADMIN, and no security profile that forbids mount): probed, not presumed.
    static var canMountPrivately: Bool {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("mount-probe-\(getpid())")
        guard (try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)) != nil else {
            return false
        }
        defer { try? FileManager.default.removeItem(at: probe) }
        let probed = try? Tool.run([
            "unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
            "mount -t tmpfs -o size=4k tmpfs \"$1\" && mountpoint -q \"$1\"", "sh", probe.path,
        ])
        return probed?.status == 0
    }

    @Test(
        .enabled(
            if: canMountPrivately, "needs root that may mount a tmpfs in a mount namespace of its own (make test runs as root)"))
    func fullDiskIsReportedAndLeavesNoPartialReport() throws {
        let scenarios = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: scenarios) }
        let disk = scenarios.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        // A run that fails, so the harness has artifacts to write.
        try "machine: {cmdline: \"debug=triplefault seed={seed}\"}\nexpect: {exit: 33}\n"
            .write(to: scenarios.appendingPathComponent("fails.yaml"), atomically: true, encoding: .utf8)
        let seed = UInt64.random(in: 1_000_000...9_000_000)
        let sockets = scenarios.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: sockets, withIntermediateDirectories: true)
        let harness = HarnessProcess.binary
        try #require(FileManager.default.isExecutableFile(atPath: harness), "no harness binary at \(harness)")
        let outcome = try Self.inFullDisk(
            disk,
            [
                "/usr/bin/env", "TMPDIR=\(sockets.path)", harness, scenarios.appendingPathComponent("fails.yaml").path, "--seed",
                String(seed),
                "--junit", disk.appendingPathComponent("junit.xml").path,
                "--artifacts", disk.appendingPathComponent("artifacts").path,
                "--allow-dir", KernelScenario.kernelDirectory,
            ])
        try #require(outcome.status != 97, "the tmpfs could not be mounted: \(outcome.stderr)")
        let output = outcome.stderr
        #expect(outcome.stdout.contains("status=1\n"), "\(outcome.stdout)\n\(output)")
        #expect(output.contains("ERROR fails"), "the verdict is still given: \(output)")
        #expect(output.contains("cannot write the JUnit report"), "\(output)")
        #expect(output.contains("the JUnit report could not be written"), "\(output)")
        #expect(output.contains("No space left on device"), "\(output)")
        #expect(output.contains("artifacts incomplete"), "\(output)")
        let left = outcome.stdout.split(separator: "\n").dropFirst()
        #expect(left.contains("filler"), "the listing is of the full tmpfs: \(left)")
        #expect(!left.contains { $0.contains("junit") }, "no partial report: \(left)")
        // Nothing reached the host's folder under the mount point.
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path).isEmpty)
        #expect(HarnessProcess.processes(containing: "seed=\(seed)").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sockets.path).isEmpty, "no socket directory left")
    }
}
