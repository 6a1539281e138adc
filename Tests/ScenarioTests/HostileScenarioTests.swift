// The hostile-scenario corpus (Tests/HostileScenarios, also the Scenario fuzz target's seeds):
// each file tries one way to run a program, open a listener, or read, write or list a host file
// through a scenario, and marks the line that must be refused with `# REFUSED: reason`. Each is
// parsed as it would be from a repository (a root with .git, a profiles.yaml, `# setup:` files
// and symlinks made beside it) and must be refused with that file:line. What parsing cannot see
// is contained by the sandbox: QEMUMachineTests/SandboxContainmentTests.
import Foundation
import Glibc
import Testing

@testable import Scenario

@Suite struct HostileScenarioTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../HostileScenarios").standardized.path

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    /// A scenario root like a repository: .git, profiles.yaml, a kernel image, scenarios/.
    static func makeRoot() throws -> String {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("hostile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        for folder in [".git", "build", "scenarios"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        FileManager.default.createFile(atPath: root + "/build/kernel.img", contents: Data())
        try "default:\n  kernel: build/kernel.img\n  accel: tcg\n".write(
            toFile: root + "/profiles.yaml", atomically: true, encoding: .utf8)
        return root
    }

    @Test func theCorpusCoversEveryClass() {
        let files = Self.files
        #expect(files.count >= 70, "\(files.count) hostile scenarios")
        for prefix in [
            "qmp-", "machine-qemu-", "args-", "devices-", "cpu-", "paths-", "name-", "trend-", "cmdline-", "screen-",
        ] {
            #expect(files.contains { $0.hasPrefix(prefix) }, "no \(prefix)* case")
        }
    }

    @Test(arguments: files)
    func eachIsRefusedAtItsMarkedLine(file: String) throws {
        let text = try String(contentsOfFile: Self.corpus + "/" + file, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let marked = try #require(lines.firstIndex { $0.contains("# REFUSED: ") }, "\(file) marks no line")
        let reason = String(lines[marked].components(separatedBy: "# REFUSED: ")[1])
        let root = try Self.makeRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/scenarios"
        for line in lines where line.hasPrefix("# setup: ") {
            let words = line.dropFirst("# setup: ".count).split(separator: " ").map(String.init)
            switch words[0] {
            case "symlink":
                try FileManager.default.createSymbolicLink(atPath: folder + "/" + words[1], withDestinationPath: words[2])
            case "file": FileManager.default.createFile(atPath: folder + "/" + words[1], contents: Data())
            case "fifo": #expect(mkfifo(folder + "/" + words[1], 0o600) == 0)
            case "script":
                FileManager.default.createFile(
                    atPath: folder + "/" + words[1], contents: Data("#!/bin/sh\ntouch /tmp/hostile-pwned\n".utf8),
                    attributes: [.posixPermissions: 0o755])
            default: Issue.record("\(file): unknown setup '\(line)'")
            }
        }
        let path = folder + "/" + file
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            let scenario = try ScenarioParser.parse(file: path)
            Issue.record(
                "\(file) was accepted: kernel \(scenario.machine.kernel ?? "-"), args \(scenario.machine.extraArguments)")
        } catch let error as ScenarioError {
            #expect(error.file == path)
            #expect(error.line == marked + 1, "\(file): \(error)")
            #expect(error.reason.contains(reason), "\(file): \(error)")
        }
    }

    /// Options that create backends, open files or listen, or undo the harness's own: none is
    /// on the list `qemu-args` may use.
    @Test(arguments: [
        "-chardev", "-monitor", "-serial", "-parallel", "-drive", "-hda", "-cdrom", "-fda", "-pflash", "-mtdblock",
        "-sd", "-bios", "-L", "-option-rom", "-netdev", "-nic", "-net", "-plugin", "-trace", "-D", "-d", "-pidfile",
        "-daemonize", "-runas", "-chroot", "-incoming", "-loadvm", "-readconfig", "-writeconfig", "-qmp", "-qmp-pretty",
        "-mon", "-gdb", "-s", "-vnc", "-spice", "-display", "-audiodev", "-object", "-fsdev", "-virtfs", "-mem-path",
        "-sandbox", "-accel", "-set", "-blockdev", "-device", "-usbdevice", "-kernel", "-initrd", "-append", "-dtb",
        "-semihosting-config", "-msg", "-smp", "-m", "-cpu", "-S", "-snapshot", "-iscsi", "-tpmdev", "-add-fd",
        "-compat", "-preconfig", "-k", "-name", "-uuid", "-boot", "-watchdog-action", "-machine=q35",
    ])
    func optionsOutsideTheListAreRefused(option: String) {
        let words = [option, "x"]
        guard case .failure(let problem) = QEMUOptionRules.arguments(words) else {
            Issue.record("\(option) was accepted")
            return
        }
        #expect(problem.message.contains("may only use") || problem.message.contains("another spelling"), "\(problem)")
    }

    @Test func whatIsCheckedIsWhatQEMUGets() throws {
        // Features as QEMU's legacy +/- syntax become explicit key=value; values are re-encoded.
        #expect(try QEMUOptionRules.cpu("max,+x2apic,-svm,level=13").get() == "max,x2apic=on,svm=off,level=13")
        #expect(
            try QEMUOptionRules.device("virtio-rng-pci,max-bytes=1024,period=1000").get()
                == "virtio-rng-pci,max-bytes=1024,period=1000")
        #expect(
            try QEMUOptionRules.arguments([
                "-machine", "q35,hpet=off", "-no-shutdown", "-global", "mc146818rtc.lost_tick_policy=slew",
            ]).get()
                == ["-machine", "q35,hpet=off", "-no-shutdown", "-global", "mc146818rtc.lost_tick_policy=slew"])
        // QMP arguments are a new object of the checked, typed values.
        let rebuilt = try ScenarioQMPRules.arguments(
            for: "human-monitor-command",
            ["command-line": "info registers", "cpu-index": 1.0]
        ).get()
        #expect(rebuilt == ["command-line": "info registers", "cpu-index": 1])
    }

    @Test func aProfilesFileInTheTreeIsConfinedToo() throws {
        let root = try Self.makeRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "default:\n  accel: tcg\n  kernel: /etc/passwd\n".write(
            toFile: root + "/scenarios/profiles.yaml", atomically: true, encoding: .utf8)
        try "expect: running\n".write(toFile: root + "/scenarios/s.yaml", atomically: true, encoding: .utf8)
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(file: root + "/scenarios/s.yaml") }
        do {
            _ = try ScenarioParser.parse(file: root + "/scenarios/s.yaml")
        } catch let error as ScenarioError {
            #expect(error.file == root + "/scenarios/profiles.yaml" && error.line == 3, "\(error)")
            #expect(error.reason.contains("outside the scenario root"), "\(error)")
        }
    }

    @Test func symbolsAreConfinedLikeTheKernelAndBelongToTheirKernel() throws {
        let root = try Self.makeRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "default:\n  kernel: k.img\n  symbols: /etc/passwd\n".write(
            toFile: root + "/scenarios/profiles.yaml", atomically: true, encoding: .utf8)
        try "expect: running\n".write(toFile: root + "/scenarios/s.yaml", atomically: true, encoding: .utf8)
        do {
            _ = try ScenarioParser.parse(file: root + "/scenarios/s.yaml")
            Issue.record("symbols: /etc/passwd accepted")
        } catch let error as ScenarioError {
            #expect(error.file == root + "/scenarios/profiles.yaml" && error.line == 3, "\(error)")
            #expect(error.reason.contains("machine.symbols") && error.reason.contains("outside the scenario root"), "\(error)")
        }
        try "default:\n  kernel: k.img\n  symbols: System.map\n".write(
            toFile: root + "/scenarios/profiles.yaml", atomically: true, encoding: .utf8)
        let scenario = try ScenarioParser.parseUnchecked(file: root + "/scenarios/s.yaml")
        #expect(scenario.machine.symbols == PathConfinement.realPath(root + "/scenarios/System.map"))
        // A scenario booting its own kernel does not inherit the profile's kernel's symbols.
        try "machine: {kernel: other.img}\nexpect: running\n".write(
            toFile: root + "/scenarios/own.yaml", atomically: true, encoding: .utf8)
        #expect(try ScenarioParser.parseUnchecked(file: root + "/scenarios/own.yaml").machine.symbols == nil)
    }

    @Test func aScenarioFileLeadingOutOfTheRootIsRefused() throws {
        let root = try Self.makeRoot()
        let outside = try Self.makeRoot()
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: outside)
        }
        try "expect: running\n".write(toFile: outside + "/scenarios/elsewhere.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: root + "/scenarios/link.yaml", withDestinationPath: outside + "/scenarios/elsewhere.yaml")
        let catalog = ScenarioCatalog.load([root + "/scenarios"], includeNightly: false, filter: nil)
        #expect(catalog.scenarios.isEmpty)
        #expect(catalog.errors.first?.reason.contains("outside the scenario root") == true, "\(catalog.errors)")
    }

    @Test func anAllowedDirectoryLetsAKernelOutside() throws {
        let root = try Self.makeRoot()
        let kernels = try Self.makeRoot()
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: kernels)
        }
        let yaml = "machine: {kernel: \(kernels)/build/kernel.img}\nexpect: running\n"
        try yaml.write(toFile: root + "/scenarios/s.yaml", atomically: true, encoding: .utf8)
        #expect(ScenarioCatalog.load([root + "/scenarios"], includeNightly: false, filter: nil).errors.count == 1)
        let allowed = ScenarioCatalog.load(
            [root + "/scenarios"], includeNightly: false, filter: nil, allowing: [kernels + "/build"])
        #expect(allowed.errors.isEmpty, "\(allowed.errors)")
        #expect(allowed.scenarios.first?.machine.kernel == PathConfinement.realPath(kernels + "/build/kernel.img"))
    }

    @Test func pathsAndClassNamesDoNotDependOnHowTheFileWasNamed() throws {
        // Issue 16: `cd Sources && harness ../scenarios/x.yaml` lost profiles.yaml; an absolute
        // path gave a class name starting with '.'.
        let root = try Self.makeRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/Sources", withIntermediateDirectories: true)
        try "expect: running\n".write(toFile: root + "/scenarios/s.yaml", atomically: true, encoding: .utf8)
        let previous = FileManager.default.currentDirectoryPath
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        FileManager.default.changeCurrentDirectoryPath(root + "/Sources")
        let relative = try ScenarioParser.parse(file: "../scenarios/s.yaml")
        let absolute = try ScenarioParser.parse(file: root + "/scenarios/s.yaml")
        #expect(relative.machine.kernel == PathConfinement.realPath(root + "/build/kernel.img"))
        #expect(relative.pathInRoot == "scenarios/s.yaml" && absolute.pathInRoot == "scenarios/s.yaml")
    }
}
