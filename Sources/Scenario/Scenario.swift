// A scenario: one case per file. What machine to boot, what to do, what must never be printed,
// and what the end should look like.
import Foundation
import QEMUMachine
import QMP

public struct Scenario {
    /// The file as found (relative to where the harness was pointed).
    public let file: String
    /// The file's path from the scenario root (PathConfinement), for report class names.
    public let pathInRoot: String
    public let name: String
    public let description: String?
    public let tags: [String]
    /// The machine, `{seed}` still unsubstituted in `commandLine`.
    public internal(set) var machine: MachineProfile
    public internal(set) var watchdogs: WatchdogSettings
    public let never: [Pattern]
    public let steps: [Located<Step>]
    public let expectation: Expectation
    /// `expect: {hang: {diagnosis: [...]}}`: each pattern must match a line of the hang's
    /// diagnosis (e.g. the frozen CPU and its location).
    public var expectedDiagnosis: [Pattern] = []
    /// `trend:`: figures sampled all run long whose fitted slopes must stay within bounds.
    public var trend: TrendSpec?
    /// How the kernel image is built: the profile's `build:`, when the scenario boots the
    /// profile's own kernel.
    public var kernelBuild: KernelBuild?
    /// Where `machine.kernel` was written (the scenario or its profile), for refusals about it.
    public var kernelSource: SourceLine?
    /// What the kernel's exits and lines mean, from the scenario's profile.
    public var contract = KernelContract()
    /// `expect: {ktap: {all-pass: true, cases: N or {at-least: N}}}`: how many KTAP cases must
    /// have reported (nil: at least one).
    public var ktapCases: KTAPCaseCount?

    public var isNightly: Bool { tags.contains("nightly") }
    /// Runs with no other VM beside it: its figures depend on having the host's cores.
    public var isExclusive: Bool { tags.contains("exclusive") }
    /// Figures for `make bench`, not checks: never part of a folder run.
    public var isBench: Bool { tags.contains("bench") }

    /// The same scenario on another machine size or accelerator, or with a shorter deadline:
    /// `make bench` measures one scenario at 1 and 4 vCPUs, and probes KVM briefly.
    public func variant(vcpus: Int? = nil, accelerator: Accelerator? = nil, deadline: Double? = nil) -> Scenario {
        var copy = self
        if let vcpus { copy.machine.vcpus = vcpus }
        if let accelerator { copy.machine.accelerator = accelerator }
        if let deadline { copy.watchdogs.deadline = deadline }
        return copy
    }

    /// The machine for a run with `seed` (in deterministic mode when the scenario asks for it
    /// or `deterministic` says so: the seed then picks the schedule too).
    public func machine(seed: UInt64, deterministic: Bool = false) -> MachineProfile {
        var profile = machine
        profile.commandLine = profile.commandLine.replacingOccurrences(of: "{seed}", with: String(seed))
        if deterministic { profile.mode = .deterministic }
        if profile.mode == .deterministic { profile.applySchedule(DeterministicSchedule(seed: seed)) }
        return profile
    }
}

/// A value and the line of the scenario file it came from.
public struct Located<Value> {
    public let value: Value
    public let line: Int
}

public enum Step {
    /// Wait for a serial line matching the pattern.
    case waitSerial(Pattern, within: Double?)
    /// Type a line on the serial console (a newline is added).
    case sendSerial(String)
    /// Run a QMP command; check its result contains `expect`, or that QEMU refuses it with the
    /// error class `expectError`.
    case qmp(command: String, arguments: JSONValue?, expect: JSONValue?, expectError: String?)
    /// Wait for a QMP event whose data contains `data`.
    case waitEvent(name: String, data: JSONValue?, within: Double?)
    /// Let the guest run for a while.
    case pause(Double)
    /// Wait for a metrics line matching the pattern and store its `key=value` integers as
    /// `<name>.<key>`.
    case capture(Pattern, as: String, within: Double?)
    case assert(Assertion)
    /// Act through the gdbstub (see GDBStep).
    case gdb(GDBStep)
    /// Take a screenshot or check one (see ScreenStep).
    case screen(ScreenStep)
}

public struct Assertion {
    public enum Comparison: String, CaseIterable {
        case equals, below, atMost = "at-most", above, atLeast = "at-least"
    }

    public enum Operand: Equatable {
        case number(Int64)
        case captured(String)
    }

    /// A captured value's name, e.g. `after.heap.bytes`.
    public let value: String
    public let comparison: Comparison
    public let operand: Operand
}

public struct WatchdogSettings: Equatable {
    /// The whole run, boot to verdict.
    public var deadline = 120.0
    /// A step without its own `within`.
    public var step = 30.0
    /// No serial output at all for this long while the guest runs: a hang.
    public var silence: Double? = 30
    /// No line matching `progress.pattern` with new content for `progress.within` seconds.
    public var progress: ProgressWatch?
    /// No change on the guest's screen for `display.within` while the watch is on.
    public var display: DisplayWatch?

    public struct ProgressWatch: Equatable {
        public var pattern: Pattern
        public var within: Double
    }

    public init() {}
}

/// How many KTAP cases a run must report.
public enum KTAPCaseCount: Equatable {
    case exactly(Int)
    case atLeast(Int)

    public func admits(_ count: Int) -> Bool {
        switch self {
        case .exactly(let wanted): return count == wanted
        case .atLeast(let minimum): return count >= minimum
        }
    }

    public var description: String {
        switch self {
        case .exactly(let wanted): return "exactly \(wanted)"
        case .atLeast(let minimum): return "at least \(minimum)"
        }
    }
}

public enum Expectation: Equatable {
    /// QEMU exits with this status (isa-debug-exit: 33 is the kernel's clean exit).
    case exit(Int32)
    /// KTAP is printed, every test passes (or is skipped), and the kernel exits cleanly.
    case ktapAllPass
    /// The guest panics and its output matches the pattern.
    case panic(Pattern)
    /// A watchdog (silence or lack of progress) diagnoses a hang.
    case hang
    /// The guest triple-faults (SHUTDOWN guest-reset under -no-reboot).
    case tripleFault
    /// The guest is still running when the steps are done; the harness then shuts it down.
    case running
}
