// A disk that is full while the harness writes its artifacts and its report: a 64 KiB tmpfs,
// filled before the run. The harness must say so, fail (no report is not a pass), leave no
// partial report pretending to be complete, and still leave no QEMU and no socket directory.
import Foundation
import Testing
import TestSupport

@Suite(.serialized, .timeLimit(.minutes(2))) struct DiskFullEndToEndTests {
    /// Runs `body` with a full tmpfs mounted at a fresh folder; unmounts it after.
    private func withFullDisk(_ body: (URL) throws -> Void) throws {
        let mountPoint = try KernelScenario.folder().appendingPathComponent("full")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mountPoint.deletingLastPathComponent()) }
        #expect(try command(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path]) == 0)
        defer { _ = try? command(["umount", mountPoint.path]) }
        // dd stops with "No space left on device": the filler takes every block.
        _ = try command(["dd", "if=/dev/zero", "of=\(mountPoint.path)/filler", "bs=4k"])
        try body(mountPoint)
    }

    private func command(_ arguments: [String]) throws -> Int32 {
        try Tool.run(arguments).status
    }

    /// Root with CAP_SYS_ADMIN (bit 21 of CapEff): a container's root may not mount.
    static var canMount: Bool {
        guard getuid() == 0, let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let caps = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return caps & (1 << 21) != 0
    }

    @Test(.enabled(if: canMount, "mounting a small tmpfs needs root with CAP_SYS_ADMIN (make test runs as root)"))
    func fullDiskIsReportedAndLeavesNoPartialReport() throws {
        try withFullDisk { disk in
            let scenarios = disk.deletingLastPathComponent()
            // A run that fails, so the harness has artifacts to write.
            try "machine: {cmdline: \"debug=triplefault seed={seed}\"}\nexpect: {exit: 33}\n"
                .write(to: scenarios.appendingPathComponent("fails.yaml"), atomically: true, encoding: .utf8)
            let seed = UInt64.random(in: 1_000_000...9_000_000)
            let junit = disk.appendingPathComponent("junit.xml").path
            let harness = try HarnessProcess([scenarios.appendingPathComponent("fails.yaml").path, "--seed", String(seed),
                                              "--junit", junit, "--artifacts", disk.appendingPathComponent("artifacts").path])
            let status = harness.finish()
            #expect(status == 1, "\(harness.output)")
            #expect(harness.output.contains("ERROR fails"), "the verdict is still given: \(harness.output)")
            #expect(harness.output.contains("cannot write the JUnit report"), "\(harness.output)")
            #expect(harness.output.contains("the JUnit report could not be written"), "\(harness.output)")
            #expect(harness.output.contains("No space left on device"), "\(harness.output)")
            #expect(harness.output.contains("artifacts incomplete"), "\(harness.output)")
            let left = try FileManager.default.contentsOfDirectory(atPath: disk.path)
            #expect(!left.contains { $0.contains("junit") }, "no partial report: \(left)")
            #expect(HarnessProcess.processes(containing: "seed=\(seed)").isEmpty)
            #expect(harness.leftoverDirectories.isEmpty)
        }
    }
}
