// End-to-end tests boot the real kernel (build/kernel/kernel.img, made by `make kernel`) under
// QEMU through the runner, from scenario text written for each test.
import Foundation
import HostSystem
import QEMUMachine
import Runner
import Scenario
import Testing

enum KernelScenario {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized

    static var kernelImage: String { repository.appendingPathComponent("build/kernel/kernel.img").path }
    /// Test scenarios live in $TMPDIR; the kernel they boot is the repository's, in a directory
    /// allowed as `--allow-dir` would (PathConfinement).
    static var kernelDirectory: String { repository.appendingPathComponent("build/kernel").path }

    /// Parses a test's scenario file, its kernel directory (and `allowing`) allowed.
    static func parse(file: String, allowing: [String] = []) throws -> Scenario {
        try ScenarioParser.parse(file: file, confinement: .forFile(file, allowing: [kernelDirectory] + allowing))
    }

    struct KernelMissing: Error, CustomStringConvertible {
        var description: String { "no kernel image at \(KernelScenario.kernelImage): run `make kernel` first" }
    }

    /// Our kernel's contract as scenarios/profiles.yaml gives it (docs/kernel-interface.md).
    static let contract = """
          contract:
            clean-exit: 33
            panic-exit: 37
            panic-line: "KERNEL PANIC:"
            panic-report-end: "end of panic report"
            panic-halt: {option: "panic=halt", line: "panic: halted"}
            panic-cpu-line: "/^cpu=([0-9]+) (stopped )?rip=/"
        """

    /// A fresh folder with a profiles.yaml for the real kernel (TCG, 128 MiB, 2 vCPUs).
    static func folder(contract: String = KernelScenario.contract) throws -> URL {
        guard FileManager.default.fileExists(atPath: kernelImage) else { throw KernelMissing() }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
        default:
          kernel: \(kernelImage)
          vcpus: 2
          memory: 128M
          accel: tcg
          never: ["Allocation failure:"]
        \(contract)
        """.write(to: folder.appendingPathComponent("profiles.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Parses `yaml` as a scenario file and runs it once with `seed`; `inspect` sees the result
    /// while its artifacts still exist. Artifacts go to a folder removed afterwards unless
    /// `artifacts` names one. Every run is checked to leave nothing behind: its QEMU reaped and
    /// its private socket directory removed.
    static func run(
        _ yaml: String, seed: UInt64 = 4242, artifacts: URL? = nil, allowing: [String] = [],
        contract: String = KernelScenario.contract,
        configure: (inout RunOptions) -> Void = { _ in },
        onLaunch: ((QEMUMachine) -> Void)? = nil, onLine: ((SerialLine) -> Void)? = nil,
        inspect: (RunResult) throws -> Void = { _ in }
    ) throws -> RunResult {
        let folder = try folder(contract: contract)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("case.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let scenario = try KernelScenario.parse(file: file.path, allowing: allowing)
        var options = RunOptions()
        options.artifactsDirectory = (artifacts ?? folder.appendingPathComponent("artifacts")).path
        configure(&options)
        let run = ScenarioRun(RunRequest(scenario: scenario, seed: seed, attempt: 1), options: options)
        var launched: (pid: pid_t, directory: String)?
        run.onLaunch = { machine in
            launched = (machine.process.pid, String(machine.sockets.qmp.dropLast("/qmp.sock".count)))
            onLaunch?(machine)
        }
        run.onLine = onLine
        let result = run.execute()
        if let launched {
            // Reaped: not even a zombie answers kill(pid, 0).
            #expect(kill(launched.pid, 0) == -1 && errno == ESRCH, "QEMU \(launched.pid) outlived its run")
            #expect(!FileManager.default.fileExists(atPath: launched.directory), "\(launched.directory) was left behind")
        }
        try inspect(result)
        return result
    }
}
