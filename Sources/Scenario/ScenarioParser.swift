// Scenario files (YAML) into Scenario values. Everything is checked here, before anything boots:
// unknown keys, bad values, patterns that do not compile, captures used before they are made.
import Foundation
import KernelSymbols
import QEMUMachine
import QMP
import Yams

public enum ScenarioParser {
    static let topKeys = ["name", "description", "tags", "machine", "watchdogs", "never", "steps", "expect", "trend"]
    static let machineKeys = [
        "profile", "qemu", "kernel", "symbols", "modules", "vcpus", "memory", "accel", "cpu",
        "cmdline", "devices", "qemu-args", "mode", "schedule-cmdline",
    ]
    static let watchdogKeys = ["deadline", "step", "silence", "progress", "display"]
    static let stepKinds = ["wait-serial", "send-serial", "qmp", "wait-event", "pause", "capture", "assert", "gdb", "screen"]

    /// Reads `path`, taking machine defaults from the nearest `profiles.yaml` found in the
    /// file's folder or above it, up to the scenario root. Files the scenario names must lie in
    /// `confinement` (by default the root the file's own path gives, see PathConfinement).
    public static func parse(file path: String, confinement: PathConfinement? = nil) throws -> Scenario {
        let scenario = try parseUnchecked(file: path, confinement: confinement)
        try checkGDBSymbols(scenario.steps, machine: scenario.machine, file: path)
        return scenario
    }

    /// Reads `path` with its nearest profiles, like `parse(file:)`, but checks nothing against
    /// the kernel image (which a profile's `build:` may not have made yet): `checkImage` does.
    public static func parseUnchecked(file path: String, confinement: PathConfinement? = nil) throws -> Scenario {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ScenarioError(file: path, line: 1, reason: "cannot read the file")
        }
        let confinement = confinement ?? .forFile(path)
        let real = PathConfinement.realPath(path)
        guard confinement.contains(real) else {
            throw ScenarioError(
                file: path, line: 1, reason: "the file leads to \(real), outside the scenario root \(confinement.root)")
        }
        let profiles = try ProfileLibrary.nearest(to: path, confinement: confinement)
        return try parseText(text, file: path, profiles: profiles, confinement: confinement)
    }

    /// Parses `text` and checks `gdb:` steps' symbols against the kernel image it names.
    public static func parse(
        _ text: String, file: String, profiles: ProfileLibrary = .builtIn,
        confinement: PathConfinement? = nil
    ) throws -> Scenario {
        let scenario = try parseText(text, file: file, profiles: profiles, confinement: confinement)
        try checkGDBSymbols(scenario.steps, machine: scenario.machine, file: file)
        return scenario
    }

    /// What is checked against the kernel image: that it exists (refused first, in one line
    /// naming the image and how to make it) and that it has every symbol the `gdb:` steps name.
    /// `buildSkipped`: the profile's build command was not run (`--no-build`, or not trusted).
    public static func checkImage(_ scenario: Scenario, buildSkipped: String? = nil) throws {
        if let kernel = scenario.machine.kernel, !FileManager.default.fileExists(atPath: kernel) {
            let source = scenario.kernelSource ?? SourceLine(file: scenario.file, line: 1)
            throw ScenarioError(
                file: source.file, line: source.line,
                reason: missingImageReason(kernel, build: scenario.kernelBuild, buildSkipped: buildSkipped))
        }
        try checkGDBSymbols(scenario.steps, machine: scenario.machine, file: scenario.file)
    }

    static func missingImageReason(_ kernel: String, build: KernelBuild?, buildSkipped: String?) -> String {
        guard let build else {
            return "kernel image \(kernel) does not exist: build it first (this repository's kernel: `make kernel`), "
                + "or give the profile a `build:` command that makes it"
        }
        return "kernel image \(kernel) does not exist: build it with `\(build.command)` in \(build.folder) "
            + "(the `build:` of \(build.location), not run: \(buildSkipped ?? "not asked for"))"
    }

    /// The text alone into a Scenario: reads no file (`file` only names it in errors and anchors
    /// relative paths, which are resolved and confined), so gdb symbols are left unchecked.
    public static func parseText(
        _ text: String, file: String, profiles: ProfileLibrary = .builtIn,
        confinement: PathConfinement? = nil
    ) throws -> Scenario {
        let confinement = confinement ?? .forFile(file)
        let reader = YAMLReader(file: file, text: text)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ScenarioError(file: file, line: 1, reason: "the file is empty")
            }
            root = node
        } catch let error as YamlError {
            throw refusal(error, reader: reader)
        }
        let top = try reader.mapping(root, "a scenario")
        try top.check(allowed: topKeys)

        let name =
            try top["name"].map { try reader.string($0, "name") }
            ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        if let problem = IsolationRules.problem(withName: name) { throw reader.error(top["name"] ?? root, problem) }
        let description = try top["description"].map { try reader.string($0, "description") }
        let tags = try top["tags"].map { try reader.strings($0, "tags") } ?? []

        let machineNode = top["machine"]
        let machineMapping = try machineNode.map { try reader.mapping($0, "machine") }
        let profileName = try machineMapping?["profile"].map { try reader.string($0, "machine.profile") } ?? "default"
        guard let base = profiles.profiles[profileName] else {
            throw reader.error(
                machineMapping?["profile"] ?? root,
                "no machine profile '\(profileName)' (known: \(profiles.profiles.keys.sorted().joined(separator: ", ")))")
        }
        var machine = base.machine
        if let machineMapping {
            try applyMachine(machineMapping, to: &machine, reader: reader, relativeTo: file, confinement: confinement)
        }

        let watchdogs = try top["watchdogs"].map { try parseWatchdogs($0, reader: reader) } ?? WatchdogSettings()
        let never =
            try top["never"].map { node in
                try reader.sequence(node, "never").map { try reader.pattern($0, "each pattern of never") }
            } ?? base.never

        let stepNodes = try top["steps"].map { try reader.sequence($0, "steps") } ?? []
        var steps: [Located<Step>] = []
        var captureNames: Set<String> = []
        var screen = ScreenStepContext(confinement: confinement, file: file)
        for node in stepNodes {
            let step = try parseStep(node, reader: reader, captures: &captureNames, screen: &screen)
            steps.append(Located(value: step, line: node.mark?.line ?? 1))
        }

        guard let expectNode = top["expect"] else {
            throw reader.error(root, "a scenario needs 'expect' (exit, ktap, panic, hang, triple-fault or running)")
        }
        let expectation = try parseExpectation(expectNode, reader: reader)
        if expectation == .ktapAllPass, let option = base.contract.ktapOption,
            !base.contract.ktapEnabled(by: machine.commandLine)
        {
            throw reader.error(
                expectNode, "'expect: ktap' needs a \(option)... option in machine.cmdline (the profile's contract.ktap-option)")
        }
        if expectation == .hang && watchdogs.silence == nil && watchdogs.progress == nil && watchdogs.display == nil {
            throw reader.error(expectNode, "'expect: hang' needs a silence, progress or display watchdog to diagnose it")
        }
        if machine.kernel == nil {
            throw reader.error(machineNode ?? root, "no kernel: set machine.kernel or use a profile that has one")
        }
        try checkDeterministic(machine, steps: steps, node: machineMapping?["mode"] ?? machineNode ?? root, reader: reader)
        var scenario = Scenario(
            file: file, pathInRoot: confinement.relativePath(of: file), name: name, description: description, tags: tags,
            machine: machine,
            watchdogs: watchdogs, never: never, steps: steps, expectation: expectation,
            expectedDiagnosis: try parseExpectedDiagnosis(expectNode, reader: reader))
        scenario.trend = try top["trend"].map { try parseTrend($0, reader: reader) }
        if let ownKernel = machineMapping?["kernel"] {
            scenario.kernelSource = SourceLine(file: file, line: ownKernel.mark?.line ?? 1)
        } else {
            scenario.kernelSource = base.kernelSource
        }
        // The profile's build makes the profile's image, not one the scenario names instead.
        if machine.kernel == base.machine.kernel { scenario.kernelBuild = base.build }
        scenario.contract = base.contract
        scenario.ktapCases = try parseKTAPCases(expectNode, reader: reader)
        return scenario
    }

    static func applyMachine(
        _ mapping: YAMLReader.Mapping, to machine: inout MachineProfile,
        reader: YAMLReader, relativeTo file: String, confinement: PathConfinement
    ) throws {
        if let build = mapping.keyNode("build") {
            throw reader.error(
                build,
                "machine.build: a scenario cannot name a host command; `build:` belongs in the profiles.yaml you run the harness with (docs/harness.md)"
            )
        }
        try mapping.check(allowed: machineKeys)
        let folder = PathConfinement.realPath(
            (file as NSString).deletingLastPathComponent.isEmpty
                ? "." : (file as NSString).deletingLastPathComponent)
        for key in mapping.keys {
            let node = mapping[key]!
            /// Refuses `problem`'s complaint, if any, at this key's line.
            func refuse(_ problem: String?) throws { if let problem { throw reader.error(node, problem) } }
            /// The checked value, or the refusal at this key's line.
            func checked<Value>(_ result: Result<Value, IsolationProblem>) throws -> Value {
                switch result {
                case .success(let value): return value
                case .failure(let problem): throw reader.error(node, problem.message)
                }
            }
            /// A file the VM reads, resolved and confined.
            func path(_ text: String, _ what: String) throws -> String {
                try refuse(IsolationRules.textProblem(text).map { "\(what): \($0)" })
                return try checked(confinement.resolve(text, relativeTo: folder, what: what))
            }
            switch key {
            case "qemu":
                machine.qemuBinary = try reader.string(node, "machine.qemu")
                try refuse(IsolationRules.problem(withBinary: machine.qemuBinary))
            case "kernel":
                let kernel = try path(try reader.string(node, "machine.kernel"), "machine.kernel")
                // The symbols found beside it (the same path with .elf for its last extension)
                // are read by the harness: confined alike.
                let symbols = SymbolMapCache.elfPath(forImage: kernel)
                if symbols != kernel, mapping["symbols"] == nil { _ = try path(symbols, "the symbols of machine.kernel") }
                machine.kernel = kernel
                // Another kernel's symbols are not this one's: a scenario naming its own kernel
                // names its own symbols or has them found beside it.
                if mapping["symbols"] == nil { machine.symbols = nil }
            case "symbols":
                machine.symbols = try path(try reader.string(node, "machine.symbols"), "machine.symbols")
            case "modules":
                let texts = try reader.strings(node, "machine.modules")
                machine.modules = try texts.map { text in
                    let module = try path(text, "machine.modules")
                    // QEMU splits -initrd at commas: a comma would make two modules of one.
                    if module.contains(",") { try refuse("machine.modules: a module path cannot hold a comma: '\(module)'") }
                    return module
                }
            case "vcpus": machine.vcpus = Int(try reader.integer(node, "machine.vcpus", range: 1...255))
            case "memory":
                machine.memoryMiB = try reader.mebibytes(node, "machine.memory")
                let range = IsolationRules.memoryRange
                if !range.contains(machine.memoryMiB) {
                    try refuse(
                        "machine.memory must be \(range.lowerBound)M to \(range.upperBound / 1024)G, not \(machine.memoryMiB)M")
                }
            case "accel":
                let text = try reader.string(node, "machine.accel")
                guard let accelerator = Accelerator(rawValue: text) else {
                    throw reader.error(node, "machine.accel must be auto, kvm or tcg, not '\(text)'")
                }
                machine.accelerator = accelerator
            case "cpu":
                machine.cpuModel = try checked(QEMUOptionRules.cpu(try reader.string(node, "machine.cpu")))
            case "cmdline":
                machine.commandLine = try reader.string(node, "machine.cmdline")
                try refuse(IsolationRules.textProblem(machine.commandLine).map { "machine.cmdline: \($0)" })
            case "devices":
                machine.devices = try reader.strings(node, "machine.devices").map { try checked(QEMUOptionRules.device($0)) }
            case "qemu-args":
                machine.extraArguments = try checked(QEMUOptionRules.arguments(try reader.strings(node, "machine.qemu-args")))
            case "mode", "schedule-cmdline":
                try applyMode(key, node, to: &machine, reader: reader)
            default: break  // "profile" was read by the caller
            }
        }
    }

    static func parseWatchdogs(_ node: Node, reader: YAMLReader) throws -> WatchdogSettings {
        let mapping = try reader.mapping(node, "watchdogs")
        try mapping.check(allowed: watchdogKeys)
        var settings = WatchdogSettings()
        if let value = mapping["deadline"] { settings.deadline = try reader.duration(value, "watchdogs.deadline") }
        if let value = mapping["step"] { settings.step = try reader.duration(value, "watchdogs.step") }
        if let value = mapping["silence"] {
            settings.silence =
                try reader.string(value, "watchdogs.silence") == "off"
                ? nil : try reader.duration(value, "watchdogs.silence")
        }
        if let value = mapping["progress"] {
            let progress = try reader.mapping(value, "watchdogs.progress")
            try progress.check(allowed: ["pattern", "within"])
            settings.progress = .init(
                pattern: try reader.pattern(try progress.required("pattern"), "watchdogs.progress.pattern"),
                within: try reader.duration(try progress.required("within"), "watchdogs.progress.within"))
        }
        if let value = mapping["display"] { settings.display = try parseDisplayWatch(value, reader: reader) }
        return settings
    }

    static func parseStep(
        _ node: Node, reader: YAMLReader, captures: inout Set<String>, screen: inout ScreenStepContext
    ) throws -> Step {
        let mapping = try reader.mapping(node, "a step")
        guard mapping.keys.count == 1, let kind = mapping.keys.first else {
            throw reader.error(node, "each step is one of \(stepKinds.joined(separator: ", ")), written as '- kind: ...'")
        }
        guard stepKinds.contains(kind) else {
            throw reader.error(mapping.keyNode(kind), "unknown step '\(kind)' (known: \(stepKinds.joined(separator: ", ")))")
        }
        let body = mapping[kind]!
        switch kind {
        case "wait-serial":
            if case .scalar = body { return .waitSerial(try reader.pattern(body, "wait-serial"), within: nil) }
            let fields = try reader.mapping(body, "wait-serial")
            try fields.check(allowed: ["pattern", "within"])
            return .waitSerial(
                try reader.pattern(try fields.required("pattern"), "wait-serial.pattern"),
                within: try fields["within"].map { try reader.duration($0, "wait-serial.within") })
        case "send-serial":
            return .sendSerial(try reader.string(body, "send-serial"))
        case "qmp":
            /// The command's arguments as checked and rebuilt, or the refusal at `node`'s line.
            func checkedArguments(_ command: String, _ arguments: JSONValue?, at node: Node) throws -> JSONValue? {
                switch ScenarioQMPRules.arguments(for: command, arguments) {
                case .success(let rebuilt): return rebuilt
                case .failure(let problem): throw reader.error(node, problem.message)
                }
            }
            if case .scalar = body {
                let command = try reader.string(body, "qmp")
                return .qmp(
                    command: command, arguments: try checkedArguments(command, nil, at: body), expect: nil, expectError: nil)
            }
            let fields = try reader.mapping(body, "qmp")
            try fields.check(allowed: ["execute", "arguments", "expect", "expect-error"])
            let arguments = try fields["arguments"].map { try reader.json($0) }
            if let arguments, arguments.objectValue == nil {
                throw reader.error(fields["arguments"], "qmp.arguments must be a mapping")
            }
            let expect = try fields["expect"].map { try reader.json($0) }
            let expectError = try fields["expect-error"].map { try reader.string($0, "qmp.expect-error") }
            if expect != nil && expectError != nil {
                throw reader.error(body, "qmp takes 'expect' or 'expect-error', not both")
            }
            let command = try reader.string(try fields.required("execute"), "qmp.execute")
            return .qmp(
                command: command, arguments: try checkedArguments(command, arguments, at: fields["arguments"] ?? body),
                expect: expect, expectError: expectError)
        case "wait-event":
            if case .scalar = body { return .waitEvent(name: try reader.string(body, "wait-event"), data: nil, within: nil) }
            let fields = try reader.mapping(body, "wait-event")
            try fields.check(allowed: ["event", "data", "within"])
            return .waitEvent(
                name: try reader.string(try fields.required("event"), "wait-event.event"),
                data: try fields["data"].map { try reader.json($0) },
                within: try fields["within"].map { try reader.duration($0, "wait-event.within") })
        case "pause":
            return .pause(try reader.duration(body, "pause"))
        case "capture":
            let fields = try reader.mapping(body, "capture")
            try fields.check(allowed: ["pattern", "as", "within"])
            let name = try reader.string(try fields.required("as"), "capture.as")
            guard !name.isEmpty, !name.contains(" ") else { throw reader.error(fields["as"], "capture.as must be one word") }
            captures.insert(name)
            return .capture(
                try reader.pattern(try fields.required("pattern"), "capture.pattern"), as: name,
                within: try fields["within"].map { try reader.duration($0, "capture.within") })
        case "gdb":
            return .gdb(try parseGDBStep(body, reader: reader, captures: &captures))
        case "screen":
            return .screen(try parseScreenStep(body, reader: reader, context: &screen))
        default:  // "assert"
            return .assert(try parseAssertion(body, reader: reader, captures: captures))
        }
    }

    static func parseAssertion(_ node: Node, reader: YAMLReader, captures: Set<String>) throws -> Assertion {
        let fields = try reader.mapping(node, "assert")
        let comparisons = Assertion.Comparison.allCases.map(\.rawValue)
        try fields.check(allowed: ["value"] + comparisons)
        let valueNode = try fields.required("value")
        let value = try reader.string(valueNode, "assert.value")
        try checkCaptured(value, node: valueNode, reader: reader, captures: captures)
        let given = comparisons.filter { fields[$0] != nil }
        guard given.count == 1, let comparisonName = given.first,
            let comparison = Assertion.Comparison(rawValue: comparisonName)
        else {
            throw reader.error(node, "assert needs exactly one of \(comparisons.joined(separator: ", "))")
        }
        let operandNode = fields[comparisonName]!
        let operandText = try reader.string(operandNode, "assert.\(comparisonName)")
        let operand: Assertion.Operand
        if let number = Int64(operandText) {
            operand = .number(number)
        } else {
            try checkCaptured(operandText, node: operandNode, reader: reader, captures: captures)
            operand = .captured(operandText)
        }
        return Assertion(value: value, comparison: comparison, operand: operand)
    }

    /// `name.key` must refer to an earlier capture step's name.
    static func checkCaptured(_ reference: String, node: Node, reader: YAMLReader, captures: Set<String>) throws {
        let capture = reference.split(separator: ".", maxSplits: 1).first.map(String.init) ?? reference
        guard reference.contains("."), captures.contains(capture) else {
            throw reader.error(
                node, "'\(reference)' is not a captured value: write <capture name>.<key> after a capture step named '\(capture)'"
            )
        }
    }

    /// `expect: {hang: {diagnosis: PATTERN or [PATTERN, ...]}}`; none for any other form.
    static func parseExpectedDiagnosis(_ node: Node, reader: YAMLReader) throws -> [Pattern] {
        guard case .mapping = node, let hang = try reader.mapping(node, "expect")["hang"] else { return [] }
        let fields = try reader.mapping(hang, "expect.hang")
        try fields.check(allowed: ["diagnosis"])
        guard let patterns = fields["diagnosis"] else { return [] }
        if case .sequence = patterns {
            return try reader.sequence(patterns, "expect.hang.diagnosis").map { try reader.pattern($0, "expect.hang.diagnosis") }
        }
        return [try reader.pattern(patterns, "expect.hang.diagnosis")]
    }

    static func parseExpectation(_ node: Node, reader: YAMLReader) throws -> Expectation {
        if case .scalar = node {
            switch try reader.string(node, "expect") {
            case "hang": return .hang
            case "triple-fault": return .tripleFault
            case "running": return .running
            case "ktap": return .ktapAllPass
            case let other:
                throw reader.error(
                    node, "expect must be hang, triple-fault, running, ktap, or a mapping with exit or panic; not '\(other)'")
            }
        }
        let fields = try reader.mapping(node, "expect")
        try fields.check(allowed: ["exit", "panic", "ktap", "hang"])
        guard fields.keys.count == 1, let kind = fields.keys.first, let value = fields[kind] else {
            throw reader.error(node, "expect takes exactly one of exit, panic, ktap, hang")
        }
        switch kind {
        case "hang": return .hang
        case "exit": return .exit(Int32(try reader.integer(value, "expect.exit", range: 0...255)))
        case "panic": return .panic(try reader.pattern(value, "expect.panic"))
        default:
            if case .mapping = value { return .ktapAllPass }  // its count: parseKTAPCases
            guard try reader.string(value, "expect.ktap") == "all-pass" else {
                throw reader.error(value, "expect.ktap must be all-pass or {all-pass: true, cases: N or {at-least: N}}")
            }
            return .ktapAllPass
        }
    }

    /// `expect: {ktap: {all-pass: true, cases: N}}` or `cases: {at-least: N}`; nil for any other form.
    static func parseKTAPCases(_ node: Node, reader: YAMLReader) throws -> KTAPCaseCount? {
        guard case .mapping = node, let ktap = try reader.mapping(node, "expect")["ktap"], case .mapping = ktap else {
            return nil
        }
        let fields = try reader.mapping(ktap, "expect.ktap")
        try fields.check(allowed: ["all-pass", "cases"])
        guard let allPass = fields["all-pass"], try reader.string(allPass, "expect.ktap.all-pass") == "true" else {
            throw reader.error(ktap, "expect.ktap needs all-pass: true")
        }
        guard let cases = fields["cases"] else { return nil }
        if case .mapping = cases {
            let bound = try reader.mapping(cases, "expect.ktap.cases")
            try bound.check(allowed: ["at-least"])
            return .atLeast(
                Int(try reader.integer(try bound.required("at-least"), "expect.ktap.cases.at-least", range: 1...1_000_000)))
        }
        return .exactly(Int(try reader.integer(cases, "expect.ktap.cases", range: 1...1_000_000)))
    }

    /// A YAML syntax error as file:line: reason.
    static func refusal(_ error: YamlError, reader: YAMLReader) -> ScenarioError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return reader.error(line: mark.line, "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return reader.error(line: context.mark.line, "\(keys) is given twice in the same mapping")
        default:
            return reader.error(line: 1, "not valid YAML: \(error)")
        }
    }
}
