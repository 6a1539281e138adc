// `swift run harness scenarios/` (`harness run`, the default subcommand): flags in, library
// calls out. The work lives in Sources/.
import ArgumentParser
import Foundation
import HTMLReport
import HostSystem
import JUnitReport
import QEMUMachine
import Runner
import Scenario

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Boot the kernel under QEMU and run scenario files; write JUnit XML and an HTML report.",
        discussion: "Runs every scenario (*.yaml) under the given folders, recursively. See docs/harness.md.")

    @Argument(help: "Scenario files or folders.")
    var paths: [String] = ["scenarios"]

    @Option(name: .shortAndLong, help: "VMs to run in parallel (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Run only scenarios whose name or path contains this text, or matches this glob.")
    var filter: String?

    @Option(help: "Run every scenario this many times (with --until-failure: at most this many).")
    var `repeat`: Int?

    @Flag(help: "Repeat the scenarios until one fails.")
    var untilFailure = false

    @Option(help: "Seed for every run (default: each run's own, from --seed-base; printed with any failure).")
    var seed: UInt64?

    @Option(
        help: ArgumentHelp(
            "Run only the K-th of N disjoint parts of the run plan (every scenario × repetition), e.g. 1/4 (default: Bazel's TEST_TOTAL_SHARDS/TEST_SHARD_INDEX when set).",
            valueName: "K/N"))
    var shard: String?

    @Option(
        help: ArgumentHelp(
            "Shards in all, this one being JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's, from 0).",
            valueName: "N"))
    var shardCount: Int?

    @Option(
        help: ArgumentHelp(
            "Derive every run's seed from this number, the scenario and the repetition (the same on every shard; default: random).",
            valueName: "N"))
    var seedBase: UInt64?

    @Option(
        help: ArgumentHelp(
            "An earlier JUnit report whose run times balance the shards (default: balance by count).",
            valueName: "junit.xml"))
    var durations: String?

    @Option(help: "Where to write the JUnit XML report.")
    var junit = "build/junit.xml"

    @Option(help: "Where failed runs keep their serial log, QMP transcript and verdict.")
    var artifacts = "build/artifacts"

    @Option(
        help: ArgumentHelp(
            "Most bytes a run's serial.log keeps (then its last lines and how much was left out): 64M, 512K, 1G.",
            valueName: "size"))
    var artifactLimit = "64M"

    @Option(help: "Accelerator for every VM: auto, kvm or tcg (default: each scenario's profile).")
    var accel: String?

    @Option(
        help: ArgumentHelp(
            "The QEMU program for every run (default: each scenario's machine.qemu, looked up on PATH).",
            valueName: "path"))
    var qemu: String?

    @Option(
        name: .customLong("allow-dir"),
        help: ArgumentHelp(
            "A directory outside the scenario root whose files scenarios may name as kernel or modules (repeatable).",
            valueName: "dir"))
    var allowedDirectories: [String] = []

    @Flag(help: "Run every VM in deterministic mode (one host thread, icount; the seed picks the schedule).")
    var deterministic = false

    @Flag(
        help: ArgumentHelp(
            "Deterministic mode with QEMU's record/replay (1-vCPU scenarios only): a failed run keeps the replay log and replay.sh, to debug it in reverse under gdb.",
            valueName: "record"))
    var record = false

    @Flag(help: "In deterministic mode, do not rerun a failed run to prove it reproduces.")
    var noReproduce = false

    @Flag(help: "Leave a failed run's VM up (with gdbstub and monitor sockets) until Ctrl-C.")
    var keepVMOnFailure = false

    @Flag(help: "Include scenarios tagged nightly.")
    var nightly = false

    @Flag(help: "Do not run the profiles' build commands (build: in profiles.yaml) before booting.")
    var noBuild = false

    @Flag(help: "List the scenarios that would run, then exit.")
    var list = false

    @Flag(name: .shortAndLong, help: "Print every serial line as it arrives.")
    var verbose = false

    private func refuse(_ catalog: ScenarioCatalog) throws -> Never {
        catalog.errors.forEach { printError("\($0)") }
        printError("harness: \(catalog.errors.count) scenario file(s) refused; nothing was run")
        throw ExitCode(2)
    }

    /// --record: QEMU records one vCPU only; every scenario of more is named with the line that
    /// sets its vCPUs (or the file's first line when its profile does), and nothing runs.
    private func refuseUnrecordable(_ scenarios: [Scenario]) throws {
        let refused = scenarios.filter { ReplayRecording.problem(recording: $0.machine) != nil }
        guard !refused.isEmpty else { return }
        for scenario in refused {
            let lines =
                (try? String(contentsOfFile: scenario.file, encoding: .utf8))?.split(
                    separator: "\n", omittingEmptySubsequences: false) ?? []
            let line = (lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("vcpus:") } ?? 0) + 1
            printError("\(scenario.file):\(line): \(ReplayRecording.problem(recording: scenario.machine)!)")
        }
        printError("harness: --record: \(refused.count) scenario(s) refused; nothing was run")
        throw ExitCode(2)
    }

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if let count = `repeat`, count < 1 { throw ValidationError("--repeat must be at least 1") }
        if byteCount(artifactLimit) == nil {
            throw ValidationError(
                "--artifact-limit must be a size of at least 64K such as 64M, 512K or 1G, not '\(artifactLimit)'")
        }
        if let accel, Accelerator(rawValue: accel) == nil {
            throw ValidationError("--accel must be one of auto, kvm, tcg")
        }
        if let qemu, !qemu.contains("/") {
            throw ValidationError("--qemu takes a path to a QEMU program (e.g. /usr/bin/qemu-system-x86_64), not '\(qemu)'")
        }
        for directory in allowedDirectories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--allow-dir: '\(directory)' is not a directory")
            }
        }
        let shard: Shard?
        do { shard = try requestedShard() } catch { throw ValidationError("\(error)") }
        if let shard, seed == nil, seedBase == nil {
            throw ValidationError(
                "shard \(shard) (from \(shard.source)): every shard must draw the same seeds: give all of them the same --seed-base N (or --seed N)"
            )
        }
        if let durations {
            do { _ = try RecordedDurations.read(durations) } catch { throw ValidationError("--durations: \(error)") }
        }
        if deterministic || record, let accel, accel != Accelerator.tcg.rawValue {
            throw ValidationError(
                "--deterministic and --record run on TCG (one thread, icount); they cannot take --accel \(accel)")
        }
    }

    /// The shard from the flags or the environment (Shard.resolve); nil for the whole plan.
    private func requestedShard() throws -> Shard? {
        try Shard.resolve(flag: shard, countFlag: shardCount, environment: ProcessInfo.processInfo.environment)
    }

    /// `--list` with a shard: this shard's runs (name, file, seed) of the first `--repeat` rounds.
    private func listRuns(of shard: Shard, scenarios: [Scenario]) {
        var plan = RunPlan(
            scenarios: scenarios, seed: seed, seedBase: seedBase, rounds: `repeat` ?? 1, untilFailure: false, shard: shard)
        plan.durations = (try? durations.map(RecordedDurations.read)) ?? [:]
        var cursor = plan.makeCursor()
        while let entry = cursor.next() {
            let scenario = scenarios[entry.scenarioIndex]
            let name = entry.attempt > 1 ? "\(scenario.name) #\(entry.attempt)" : scenario.name
            print("\(name)\t\(scenario.file)\tseed \(entry.seed)")
        }
    }

    func run() throws {
        let startedAt = MonotonicInstant.now
        let cpuAtStart = ResourceUsage.cpuSeconds()
        InterruptSignal.install()
        var catalog = ScenarioCatalog.load(
            paths, includeNightly: nightly, filter: filter,
            allowing: allowedDirectories, checkingImages: false)
        guard catalog.errors.isEmpty else { try refuse(catalog) }
        if record { try refuseUnrecordable(catalog.scenarios) }
        var failedBuilds: [String: String] = [:]
        if !list {
            // Builds first: the symbol checks read the images they make.
            let builds = KernelBuilder.build(for: catalog.scenarios, enabled: !noBuild, print: printError)
            failedBuilds = builds.failedImages
            catalog.checkImages(failedBuilds: Set(builds.failedImages.keys), buildSkipped: builds.skipped)
            guard catalog.errors.isEmpty else { try refuse(catalog) }
        }
        if list, let shard = try requestedShard() {
            listRuns(of: shard, scenarios: catalog.scenarios)
            return
        }
        if list {
            for scenario in catalog.scenarios {
                let tags = scenario.tags.isEmpty ? "" : " [\(scenario.tags.joined(separator: ", "))]"
                print("\(scenario.name)\t\(scenario.file)\(tags)")
            }
            return
        }
        guard !catalog.scenarios.isEmpty else {
            printError("harness: no scenarios under \(paths.joined(separator: " "))\(filter.map { " matching \($0)" } ?? "")")
            throw ExitCode(2)
        }

        QEMUMachine.removeAbandonedSocketDirectories()
        var options = RunOptions()
        options.accelerator = accel.flatMap(Accelerator.init(rawValue:))
        options.artifactsDirectory = artifacts
        options.artifactLimit = byteCount(artifactLimit) ?? RunOptions.defaultArtifactLimit
        options.keepVMOnFailure = keepVMOnFailure
        options.qemuBinary = qemu
        options.allowedDirectories = allowedDirectories
        warnIfUnsandboxed(Set(catalog.scenarios.map { qemu ?? $0.machine.qemuBinary }))
        options.deterministic = deterministic || record
        options.record = record
        options.reproduceFailures = !noReproduce
        // Deterministic runs are TCG whatever their accel says: only the others may probe KVM.
        sayAutoAccelerator(
            Set(
                catalog.scenarios.filter {
                    !deterministic && $0.machine.mode != .deterministic
                        && (options.accelerator ?? $0.machine.accelerator) == .auto
                }.map { qemu ?? $0.machine.qemuBinary }))
        options.verbose = verbose
        options.harnessStartedAt = startedAt
        options.failedBuilds = failedBuilds

        let plan = RunPlan(
            scenarios: catalog.scenarios, seed: seed, seedBase: seedBase,
            rounds: untilFailure ? `repeat` : (`repeat` ?? 1), untilFailure: untilFailure, shard: try requestedShard(),
            durations: try durations.map(RecordedDurations.read) ?? [:])
        if let shard = plan.shard { announce(shard, of: plan, environment: ProcessInfo.processInfo.environment) }
        let hunt = (`repeat` ?? 1) > 1 || untilFailure ? HuntProgress(total: plan.shardRuns, untilFailure: untilFailure) : nil
        let display = ProgressDisplay(verbose: verbose, hunt: hunt)
        let reporter = IncrementalReport(path: junit, forwardingTo: display)
        let results = SuiteRunner(plan: plan, jobs: jobs, options: options, observer: reporter).run()
        display.finish()

        var reportFailure: Error?
        do {
            try reporter.finish()
        } catch {
            reportFailure = error
        }
        let counts = Summary.counts(results)
        if !results.isEmpty { printError(Summary.table(results)) }
        for line in Summary.flakeRates(results) { printError(line) }
        if let reportFailure {
            // No report is a failure whatever the runs did: CI must not read "nothing failed".
            printError(
                "harness: ERROR: the JUnit report could not be written (\(reportFailure)); no partial file was left in its place")
        } else {
            printError("harness: JUnit report in \(junit)")
            do {
                printError("harness: HTML report in \(try HTMLReport.write(besideJUnit: junit))")
            } catch {
                reportFailure = error
                printError("harness: ERROR: the HTML report could not be written: \(error)")
            }
        }
        printError(ResourceUsage.since(startedAt, cpuAtStart: cpuAtStart).description)
        print(Summary.closingLine(counts, shard: plan.shard))
        if InterruptSignal.wasReceived {
            printError("harness: interrupted by signal \(InterruptSignal.lastSignal); the report holds the runs that finished")
            throw ExitCode(128 + InterruptSignal.lastSignal)
        }
        if counts.failed > 0 || reportFailure != nil { throw ExitCode.failure }
    }
}

/// Says which part of the plan this is, and touches Bazel's status file when Bazel asked for it
/// (Bazel then knows the test shards rather than running it whole N times).
func announce(_ shard: Shard, of plan: RunPlan, environment: [String: String]) {
    let runs = plan.shardRuns.map { "\($0) of \(plan.totalRuns!) runs" } ?? "runs until a failure"
    let seeds = plan.seed.map { "seed \($0) for every run" } ?? "seeds from --seed-base \(plan.seedBase)"
    printError("harness: shard \(shard) (from \(shard.source)): \(runs), \(seeds)")
    if let status = shard.bazelStatusFile(in: environment), !FileManager.default.fileExists(atPath: status) {
        if !FileManager.default.createFile(atPath: status, contents: nil) {
            printError("harness: WARNING: could not touch \(Shard.bazelStatusFile) \(status)")
        }
    }
}

/// Says once, before any VM, when QEMU cannot get its private filesystem view here (each run's
/// `sandbox` property says it again).
func warnIfUnsandboxed(_ binaries: Set<String>) {
    for binary in binaries.sorted() {
        guard let path = QEMUInstallation.locate(binary), let problem = QEMUSandbox.problem(forBinary: path) else { continue }
        printError("harness: WARNING: \(binary) runs with seccomp only, without its private filesystem view: \(problem)")
    }
}

/// Says once, before any VM, what `accel: auto` chose and why (it may boot a probe guest under
/// KVM, cached for the runs; each run's `accelerator` property says it again).
func sayAutoAccelerator(_ binaries: Set<String>) {
    for binary in binaries.sorted() {
        guard let path = QEMUInstallation.locate(binary) else { continue }
        let choice = AcceleratorChoice.resolve(.auto, qemuBinary: path)
        printError("harness: \(choice.autoSummary)\(binaries.count > 1 ? " for \(binary)" : "")")
    }
}

/// `64M`, `512K`, `1G` or a number of bytes; nil below 64 KiB or when unreadable.
func byteCount(_ text: String) -> Int? {
    let scales: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
    let scale = text.last.flatMap { scales[Character($0.uppercased())] } ?? 1
    let digits = scale == 1 ? text : String(text.dropLast())
    guard let number = Int(digits), case let (bytes, overflow) = number.multipliedReportingOverflow(by: scale),
        !overflow, bytes >= 64 << 10
    else { return nil }
    return bytes
}

func printError(_ text: String) {
    FileHandle.standardError.write((text + "\n").data(using: .utf8)!)
}
