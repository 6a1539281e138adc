// What the command line decides for every run.
import Foundation
import HostSystem
import QEMUMachine
import Scenario

public struct RunOptions {
    /// The QEMU program for every run (`--qemu PATH`), instead of the name each scenario's
    /// `machine.qemu` looks up on PATH.
    public var qemuBinary: String?
    /// Directories besides the scenario root that scenario files may name (`--allow-dir`);
    /// the catalog applies them, the rerun command repeats them.
    public var allowedDirectories: [String] = []
    /// Overrides every scenario's accelerator when set.
    public var accelerator: Accelerator?
    /// Failed runs leave their serial log, QMP transcript and verdict here.
    public var artifactsDirectory = "build/artifacts"
    /// Bytes a run's serial.log may hold (the one artifact a guest can make grow); the other
    /// files are bounded by construction (see docs/harness.md).
    public var artifactLimit = RunOptions.defaultArtifactLimit
    public static let defaultArtifactLimit = 64 << 20
    /// On failure, keep the VM (with a gdbstub and a monitor socket) until Ctrl-C.
    public var keepVMOnFailure = false
    /// Print every serial line as it comes.
    public var verbose = false
    /// Gets the live VM when a watchdog calls the run a hang.
    public var diagnoser: HangDiagnoser? = GDBHangDiagnoser()
    /// When the harness started (for "start to first serial line").
    public var harnessStartedAt = MonotonicInstant.now
    /// Kernel images whose profile's `build:` failed, and why: their runs fail with that text.
    public var failedBuilds: [String: String] = [:]
    /// The command a person types to rerun, before the scenario file and flags.
    public var rerunPrefix = "swift run harness"
    /// `--deterministic`: every run in deterministic mode, whatever its scenario says.
    public var deterministic = false
    /// A failed deterministic run is run again at once with its seed, and the two compared
    /// (`--no-reproduce` turns it off).
    public var reproduceFailures = true
    /// `--record`: deterministic mode with QEMU's record/replay (one vCPU only); a failed run
    /// keeps the recording and replay.sh.
    public var record = false
    /// A passed run keeps its serial.log too (the reproduction's rerun, compared line by line).
    public var keepSerialLog = false

    public init() {}
}

/// One run to do: a scenario, its seed, and which repetition it is.
public struct RunRequest {
    public let scenario: Scenario
    public let seed: UInt64
    public let attempt: Int

    public init(scenario: Scenario, seed: UInt64, attempt: Int) {
        self.scenario = scenario
        self.seed = seed
        self.attempt = attempt
    }
}
