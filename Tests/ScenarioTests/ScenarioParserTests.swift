import Foundation
import QEMUMachine
import QMP
import Testing

@testable import Scenario

@Suite struct ScenarioParserTests {
    private var profiles: ProfileLibrary {
        var machine = MachineProfile()
        machine.kernel = "/k/kernel.img"
        return ProfileLibrary(
            profiles: ["default": .init(machine: machine, never: [try! Pattern("Allocation failure:")])],
            file: nil)
    }

    private func parse(_ text: String) throws -> Scenario {
        try ScenarioParser.parse(text, file: "s.yaml", profiles: profiles)
    }

    /// The error a file gets, as `file:line: reason`.
    private func refusal(_ text: String) -> ScenarioError? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as ScenarioError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test func fullScenarioParses() throws {
        let scenario = try parse(
            """
            name: heap-baseline
            description: heap back to baseline
            tags: [memory, nightly]
            machine:
              vcpus: 2
              memory: 64M
              cmdline: "seed={seed} ktest=heap.*"
              devices: [virtio-rng-pci]
            watchdogs:
              deadline: 2m
              step: 500ms
              silence: off
              progress: {pattern: "/^mm: stats/", within: 30s}
            steps:
              - wait-serial: "kernel: ready"
              - send-serial: "stats"
              - capture: {pattern: "mm: stats", as: before}
              - qmp: {execute: human-monitor-command, arguments: {command-line: info registers, cpu-index: 1}}
              - qmp: {execute: query-status, expect: {running: true}}
              - qmp: {execute: system_wakeup, expect-error: GenericError}
              - wait-event: {event: SHUTDOWN, data: {reason: guest-reset}, within: 5s}
              - pause: 1.5
              - capture: {pattern: "mm: stats", as: after, within: 10s}
              - assert: {value: after.heap.bytes, equals: before.heap.bytes}
              - assert: {value: after.heap.blocks, below: 10}
            expect: {exit: 33}
            """)
        #expect(scenario.name == "heap-baseline")
        #expect(scenario.isNightly)
        #expect(scenario.machine.vcpus == 2)
        #expect(scenario.machine.memoryMiB == 64)
        #expect(scenario.machine.kernel == "/k/kernel.img")
        #expect(scenario.machine(seed: 42).commandLine == "seed=42 ktest=heap.*")
        #expect(scenario.watchdogs.deadline == 120)
        #expect(scenario.watchdogs.step == 0.5)
        #expect(scenario.watchdogs.silence == nil)
        #expect(scenario.watchdogs.progress?.pattern.matches("mm: stats heap.bytes=1") == true)
        #expect(scenario.watchdogs.progress?.pattern.matches("x mm: stats") == false)
        #expect(scenario.never.map(\.source) == ["Allocation failure:"], "the profile's never-list applies")
        #expect(scenario.steps.count == 11)
        #expect(scenario.steps[0].line == 15)
        if case .qmp(let command, let arguments, _, _) = scenario.steps[3].value {
            #expect(command == "human-monitor-command")
            #expect(arguments == ["command-line": "info registers", "cpu-index": 1])
        } else {
            Issue.record("step 4 should be qmp")
        }
        if case .waitEvent(let name, let data, let within) = scenario.steps[6].value {
            #expect(name == "SHUTDOWN")
            #expect(data == ["reason": "guest-reset"])
            #expect(within == 5)
        } else {
            Issue.record("step 7 should be wait-event")
        }
        if case .assert(let assertion) = scenario.steps[9].value {
            #expect(assertion.operand == .captured("before.heap.bytes"))
        } else {
            Issue.record("step 10 should be assert")
        }
        #expect(scenario.expectation == .exit(33))
    }

    @Test(arguments: [
        ("name: x\nexpect: hang\nwatchdogs: {silence: 5s}\nmachin: {vcpus: 2}\n", 4, "unknown key 'machin'"),
        ("expect: running\nmachine:\n  vcpus: 2\n  cpus: 4\n", 4, "unknown key 'cpus' in machine"),
        ("expect: running\nsteps:\n  - wait-serail: ready\n", 3, "unknown step 'wait-serail'"),
        ("expect: running\nsteps:\n  - wait-serial: {pattern: x, within: soon}\n", 3, "duration"),
        ("expect: running\nsteps:\n  - wait-serial: \"/([unclosed/\"\n", 3, "not a valid regular expression"),
        ("expect: running\nsteps:\n  - assert: {value: boot.heap.bytes, equals: 0}\n", 3, "not a captured value"),
        ("expect: running\nmachine: {vcpus: 0}\n", 2, "machine.vcpus must be a whole number"),
        ("expect: running\nmachine: {memory: lots}\n", 2, "machine.memory"),
        ("expect: running\nmachine: {accel: hvf}\n", 2, "machine.accel must be auto, kvm or tcg"),
        ("steps: []\n", 1, "needs 'expect'"),
        ("expect: {exit: 33, panic: x}\n", 1, "exactly one"),
        ("expect: hang\nwatchdogs: {silence: off}\n", 1, "silence, progress or display"),
        ("expect: running\nname: a\nname: b\n", 2, "given twice"),
        ("expect: running\nsteps:\n  - {pause: 1s, send-serial: x}\n", 3, "each step is one of"),
        ("expect: running\nsteps: [\n", 3, "not valid YAML"),
        ("expect: running\nmachine: {profile: huge}\n", 2, "no machine profile 'huge'"),
        ("expect: running\ntrend: {pattern: x}\n", 2, "needs 'slopes'"),
        ("expect: running\ntrend:\n  pattern: x\n  slopes: {heap.bytes: {}}\n", 4, "needs at-most or at-least"),
        ("expect: running\ntrend:\n  pattern: x\n  slopes: {heap.bytes: {at-most: lots}}\n", 4, "must be a number"),
        ("expect: running\ntrend:\n  pattern: x\n  slopes:\n    a: {at-least: 5, at-most: 1}\n", 5, "above at-most"),
        ("expect: running\ntrend:\n  pattern: x\n  plot: ../../etc/x.svg\n  slopes: {a: {at-most: 1}}\n", 4, "plain file name"),
        ("expect: running\ntrend:\n  pattern: x\n  min-samples: 2\n  slopes: {a: {at-most: 1}}\n", 4, "trend.min-samples"),
        // What a scenario may not do to the host: Tests/HostileScenarios and HostileScenarioTests.
        ("expect: running\nmachine:\n  cmdline: \"seed=1\\n-monitor stdio\"\n", 3, "control characters"),
        ("expect: running\nmachine:\n  cmdline: \"seed=1\\0x\"\n", 3, "control characters"),
        ("expect: running\nmachine:\n  modules: [\"a.elf,b.elf\"]\n", 3, "cannot hold a comma"),
        ("expect: running\nmachine:\n  memory: 64G\n", 3, "machine.memory must be 8M to 8G"),
        ("expect: running\nmachine:\n  memory: 99999999999999999G\n", 3, "machine.memory must be a size"),
        ("expect: running\nname: ../../etc/cron.d/x\n", 2, "cannot leave the artifacts folder"),
        ("expect: running\nname: /tmp/x\n", 2, "cannot leave the artifacts folder"),
        ("expect: running\nname: .hidden\n", 2, "cannot leave the artifacts folder"),
        ("expect: running\nname: \"a\\0b\"\n", 2, "cannot leave the artifacts folder"),
        ("expect: running\nname: \(String(repeating: "n", count: 101))\n", 2, "1 to 100 characters"),
        ("expect: running\nmachine:\n  build: make kernel\n", 3, "a scenario cannot name a host command"),
    ])
    func badFilesAreRefusedWithLineAndReason(text: String, line: Int, reason: String) {
        guard let error = refusal(text) else {
            Issue.record("accepted: \(text)")
            return
        }
        #expect(error.file == "s.yaml")
        #expect(error.line == line, "\(error)")
        #expect(error.reason.contains(reason), "\(error)")
        #expect(error.description.hasPrefix("s.yaml:\(line): "))
    }

    @Test func profilesCarryABuildCommandAndACPUCountPatternThatScenariosInherit() throws {
        let library = try ProfileLibrary.parse(
            """
            default:
              kernel: ../build/k.img
              build: make -C .. kernel
              contract: {cpus-online: "/^smp: ([0-9]+) CPUs online/"}
            other:
              kernel: k2.img
            """, file: "/lib/scenarios/profiles.yaml", confinement: PathConfinement(root: "/lib"))
        let build = try #require(library.profiles["default"]?.build)
        #expect(
            build
                == KernelBuild(
                    command: "make -C .. kernel", folder: "/lib/scenarios", file: "/lib/scenarios/profiles.yaml", line: 3))
        #expect(library.profiles["default"]?.kernelSource == SourceLine(file: "/lib/scenarios/profiles.yaml", line: 2))
        let scenario = try ScenarioParser.parseText(
            "expect: running\n", file: "/lib/scenarios/a/s.yaml", profiles: library,
            confinement: PathConfinement(root: "/lib"))
        #expect(scenario.kernelBuild == build)
        #expect(scenario.contract.onlineCPUs(in: "smp: 16 CPUs online bringup_ms=3") == 16)
        // A scenario booting another image does not get the profile's build for it.
        let own = try ScenarioParser.parseText(
            "machine: {kernel: mine.img}\nexpect: running\n", file: "/lib/scenarios/a/s.yaml",
            profiles: library, confinement: PathConfinement(root: "/lib"))
        #expect(own.kernelBuild == nil)
        #expect(own.kernelSource == SourceLine(file: "/lib/scenarios/a/s.yaml", line: 1))
        #expect(throws: ScenarioError.self) {
            try ProfileLibrary.parse("default:\n  contract: {cpus-online: \"smp:\"}\n", file: "p.yaml")
        }
    }

    @Test func aMissingImageIsRefusedFirstInOneLineNamingItAndHowToMakeIt() throws {
        let library = try ProfileLibrary.parse(
            "default:\n  kernel: /nonexistent/k.img\n  build: make kernel\n", file: "/x/profiles.yaml",
            confinement: PathConfinement(root: "/x", allowed: ["/nonexistent"]))
        // A gdb step would be refused for missing symbols too; the image's absence comes first.
        let scenario = try ScenarioParser.parseText(
            "steps:\n  - gdb: {read: Kernel.x, as: x}\nexpect: running\n",
            file: "/x/s.yaml", profiles: library,
            confinement: PathConfinement(root: "/x", allowed: ["/nonexistent"]))
        #expect {
            try ScenarioParser.checkImage(scenario, buildSkipped: "--no-build")
        } throws: { error in
            "\(error)" == "/x/profiles.yaml:2: kernel image /nonexistent/k.img does not exist: build it with `make kernel` in /x "
                + "(the `build:` of /x/profiles.yaml:3, not run: --no-build)"
        }
    }

    @Test func trendParsesItsBoundsInFileOrder() throws {
        let scenario = try parse(
            """
            expect: running
            trend:
              pattern: "heartbeat:"
              after: "storm: round 1 "
              plot: memory.svg
              min-samples: 50
              slopes:
                heap.bytes: {at-most: 2_048}
                frames.free: {at-least: -16.5}
                stacks: {at-least: -1, at-most: 1}
            """)
        let trend = try #require(scenario.trend)
        #expect(trend.pattern.source == "heartbeat:")
        #expect(trend.after?.source == "storm: round 1 ")
        #expect(trend.plot == "memory.svg" && trend.minimumSamples == 50)
        #expect(trend.keys == ["heap.bytes", "frames.free", "stacks"])
        #expect(trend.bounds[0] == SlopeBound(key: "heap.bytes", atMost: 2048, atLeast: nil, line: 8))
        #expect(trend.bounds[1].admits(-16.5) && !trend.bounds[1].admits(-17))
        #expect(trend.bounds[2].description == "at least -1/min and at most 1/min")
    }

    @Test func shippedScenariosAllParse() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../scenarios").standardized.path
        let catalog = ScenarioCatalog.load([folder], includeNightly: true, filter: nil)
        #expect(catalog.errors.isEmpty, "\(catalog.errors)")
        // Every scenario file on disk is in the catalog (found and parsed), none twice.
        let files = FileManager.default.enumerator(atPath: folder)!.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(ProfileLibrary.fileName) }
        #expect(files.count >= 30)
        // Bench scenarios stay out of folder runs (make bench names them): each parses as one.
        let bench = files.filter { $0.hasPrefix("bench/") }
        for file in bench { #expect(try ScenarioParser.parse(file: folder + "/" + file).isBench, "\(file)") }
        #expect(catalog.scenarios.count == files.count - bench.count, "\(catalog.scenarios.map(\.file))")
        #expect(Set(catalog.scenarios.map(\.file)).count == files.count - bench.count)
        let expectations = Set(catalog.scenarios.map { "\($0.expectation)" })
        #expect(expectations.contains("hang"))
        #expect(expectations.contains("tripleFault"))
        #expect(expectations.contains("ktapAllPass"))
        for scenario in catalog.scenarios where !scenario.pathInRoot.hasPrefix("scenarios/linux/") {
            #expect(scenario.machine.kernel?.hasSuffix("build/kernel/kernel.img") == true)
        }
        // The Linux examples (scenarios/linux/profiles.yaml): Debian's kernel with its System.map
        // (kernel-loop-hang: the cut vmlinux, for its CFI), all nightly, so a folder run (make
        // test) neither runs them nor builds their kernel.
        let linux = catalog.scenarios.filter { $0.pathInRoot.hasPrefix("scenarios/linux/") }
        #expect(linux.count >= 5)
        for scenario in linux {
            #expect(scenario.isNightly, "\(scenario.file)")
            #expect(scenario.machine.kernel?.hasSuffix("build/linux/vmlinuz") == true)
            let symbols = scenario.name == "linux-kernel-loop-hang" ? "build/linux/vmlinux.cfi" : "build/linux/System.map"
            #expect(scenario.machine.symbols?.hasSuffix(symbols) == true, "\(scenario.file)")
            #expect(scenario.kernelBuild?.command == "make -C ../.. linux-examples")
        }
        let everyday = ScenarioCatalog.load([folder], includeNightly: false, filter: nil, checkingImages: false)
        #expect(!everyday.scenarios.contains { $0.pathInRoot.hasPrefix("scenarios/linux/") })
    }

    @Test func nightlyScenariosAreLeftOutOfFolderRunsUnlessAsked() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "scenarios-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "default:\n  kernel: k.img\n".write(
            to: folder.appendingPathComponent("profiles.yaml"), atomically: true, encoding: .utf8)
        try "expect: running\n".write(to: folder.appendingPathComponent("quick.yaml"), atomically: true, encoding: .utf8)
        try "tags: [nightly]\nexpect: running\n".write(
            to: folder.appendingPathComponent("sub/soak.yaml"), atomically: true, encoding: .utf8)

        let everyday = ScenarioCatalog.load([folder.path], includeNightly: false, filter: nil)
        #expect(everyday.scenarios.map(\.name) == ["quick"])
        #expect(everyday.scenarios.first?.machine.kernel == folder.appendingPathComponent("k.img").path)
        let nightly = ScenarioCatalog.load([folder.path], includeNightly: true, filter: nil)
        #expect(nightly.scenarios.map(\.name).sorted() == ["quick", "soak"])
        let named = ScenarioCatalog.load(
            [folder.appendingPathComponent("sub/soak.yaml").path], includeNightly: false, filter: nil)
        #expect(named.scenarios.map(\.name) == ["soak"], "a file named on the command line always runs")
        let filtered = ScenarioCatalog.load([folder.path], includeNightly: true, filter: "so*")
        #expect(filtered.scenarios.map(\.name) == ["soak"])
    }
}
