// Every example in README.md and docs/*.md holds: scenario examples parse (and the complete ones
// pass against the real kernel), the profiles example is our profiles.yaml, each documented
// `make` target and variable exists, each documented `swift run` command's flags exist (the
// harness's are run with --list; `harness merge`'s are checked against its help), and every flag
// in docs/harness.md's table is `harness run`'s.
import Foundation
import Runner
import Scenario
import Testing

@Suite(.serialized, .timeLimit(.minutes(5))) struct DocumentationExamplesTests {
    static let repository = KernelScenario.repository
    static let documents = [
        "README.md", "docs/harness.md", "docs/scenarios.md", "docs/kernel-interface.md",
        "docs/performance.md",
    ]

    /// The `kernel:` and `modules:` paths of a profile example.
    static func paths(in text: String) -> [String] {
        text.split(separator: "\n").flatMap { line -> [String] in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("kernel: ") { return [String(trimmed.dropFirst(8))] }
            if trimmed.hasPrefix("modules: [") {
                return trimmed.dropFirst(10).dropLast().split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
            }
            return []
        }
    }

    struct Block {
        let language: String
        let text: String
        let location: String
    }

    /// The fenced code blocks of `document`, with the line each starts on.
    static func blocks(in document: String) throws -> [Block] {
        let lines = try String(contentsOf: repository.appendingPathComponent(document), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        var blocks: [Block] = []
        var open: (language: String, line: Int, body: [Substring])?
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("```") {
                if let current = open {
                    blocks.append(
                        Block(
                            language: current.language, text: current.body.joined(separator: "\n") + "\n",
                            location: "\(document):\(current.line)"))
                    open = nil
                } else {
                    open = (String(line.dropFirst(3)), index + 1, [])
                }
            } else {
                open?.body.append(line)
            }
        }
        return blocks
    }

    /// Commands from the `sh` blocks (comments cut) and from inline code spans of every document.
    static func commands() throws -> [(command: String, location: String)] {
        var found: [(String, String)] = []
        for document in documents {
            for block in try blocks(in: document) where block.language == "sh" {
                for line in block.text.split(separator: "\n") {
                    let command = line.components(separatedBy: "  #").first!.trimmingCharacters(in: .whitespaces)
                    if !command.isEmpty { found.append((command, block.location)) }
                }
            }
            let text = try String(contentsOf: repository.appendingPathComponent(document), encoding: .utf8)
            for span in text.components(separatedBy: "`").enumerated() where span.offset % 2 == 1 {
                let code = span.element
                if code.hasPrefix("make ") || code.hasPrefix("swift run ") { found.append((code, document)) }
            }
        }
        return found
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = repository
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    static var ourProfiles: ProfileLibrary {
        get throws { try ProfileLibrary.load(repository.appendingPathComponent("scenarios/profiles.yaml").path) }
    }

    @Test func theReadmeStartsWithMakeRunAndMakeTest() throws {
        let first = try Self.blocks(in: "README.md").first
        let commands = first?.text.split(separator: "\n").map {
            $0.components(separatedBy: "#")[0].trimmingCharacters(in: .whitespaces)
        }
        #expect(commands?.prefix(2) == ["make run", "make test"])
    }

    @Test func everyScenarioExampleParsesAndTheCompleteOnesPass() throws {
        let profiles = try Self.ourProfiles
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var complete: [(Scenario, String)] = []
        var judged = 0
        var ownProfiles: ProfileLibrary?
        var ownFolder: URL?
        var ownScenarios = 0
        for document in Self.documents {
            for block in try Self.blocks(in: document) where block.language == "yaml" {
                judged += 1
                let file = folder.appendingPathComponent("example-\(judged).yaml").path
                if block.text.hasPrefix("default:") {
                    // "Ours:": the example is our profiles.yaml, as far as it goes.
                    let shown = try ProfileLibrary.parse(
                        block.text, file: Self.repository.appendingPathComponent("scenarios/profiles.yaml").path)
                    let mine = try #require(profiles.profiles["default"])
                    let theirs = try #require(shown.profiles["default"])
                    #expect(
                        theirs.machine == mine.machine, "\(block.location): the profile shown is not scenarios/profiles.yaml's")
                    #expect(
                        theirs.never == mine.never && theirs.contract == mine.contract
                            && theirs.build?.command == mine.build?.command, "\(block.location)")
                } else if block.text.hasPrefix("# profiles.yaml for ") {
                    // "Your own kernel": a profile for another kernel, parsed in a folder of its own
                    // with its images stood in by empty files; the scenario after it uses it.
                    let own = folder.appendingPathComponent("own-\(judged)")
                    for path in Self.paths(in: block.text) {
                        let file = own.appendingPathComponent(path)
                        try FileManager.default.createDirectory(
                            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                        FileManager.default.createFile(atPath: file.path, contents: Data())
                    }
                    let profilesFile = own.appendingPathComponent("profiles.yaml").path
                    try block.text.write(toFile: profilesFile, atomically: true, encoding: .utf8)
                    ownProfiles = try ProfileLibrary.load(profilesFile)
                    ownFolder = own
                } else if block.text.hasPrefix("# scenario for "), let ownProfiles, let ownFolder {
                    _ = try ScenarioParser.parse(
                        block.text, file: ownFolder.appendingPathComponent("example.yaml").path, profiles: ownProfiles)
                    ownScenarios += 1
                } else if block.text.hasPrefix("trend:") {
                    _ = try ScenarioParser.parse(
                        "steps: [{wait-serial: x}]\n" + block.text + "expect: running\n",
                        file: file, profiles: profiles)
                } else if block.text.hasPrefix("  - ") {
                    // Steps: parsed in a scenario, gdb symbols checked against the real kernel.
                    _ = try ScenarioParser.parse("steps:\n" + block.text + "expect: running\n", file: file, profiles: profiles)
                } else if block.text.contains("\nexpect:") {
                    complete.append((try ScenarioParser.parse(block.text, file: file, profiles: profiles), block.location))
                } else {
                    Issue.record("\(block.location): a YAML example this test does not know how to judge")
                }
            }
        }
        #expect(judged >= 4 && complete.count >= 1 && ownScenarios >= 2)
        for (scenario, location) in complete {
            var options = RunOptions()
            options.artifactsDirectory = folder.appendingPathComponent("artifacts").path
            let result = ScenarioRun(RunRequest(scenario: scenario, seed: 7, attempt: 1), options: options).execute()
            #expect(
                result.verdict.isSuccess, "\(location): the example scenario \(scenario.name) did not pass: \(result.verdict)")
        }
    }

    @Test func everyDocumentedCommandAndFlagExists() throws {
        let makefiles = ["Makefile", "kernel/kernel.mk", "Sources/Benchmarks/LinuxPeer/peer.mk", "scenarios/linux/examples.mk"]
        let make = try makefiles.map { try String(contentsOf: Self.repository.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n")
        let targets = Set(
            make.split(separator: "\n").compactMap { line -> [Substring]? in
                guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("\t"), !line.hasPrefix("#"),
                    !line[colon...].hasPrefix(":=")
                else { return nil }
                return line[..<colon].split(separator: " ")
            }.joined().map(String.init))
        let harnessHelp = try Self.run(HarnessProcess.binary, ["run", "--help"]).output
        let mergeHelp = try Self.run(HarnessProcess.binary, ["merge", "--help"]).output
        let benchBinary = Self.repository.appendingPathComponent(".build/debug/bench").path
        var checked = 0
        for (command, location) in try Self.commands() {
            let words = command.split(separator: " ").map(String.init)
            if words.first == "make" {
                var index = 1
                while index < words.count {
                    let word = words[index]
                    if word == "-C" || word == "-j" {
                        index += 2
                        continue
                    }
                    if let equals = word.firstIndex(of: "=") {
                        let variable = String(word[..<equals])
                        #expect(
                            make.contains("$(\(variable)") || make.contains("${\(variable)"),
                            "\(location): `\(command)`: the Makefile has no variable \(variable)")
                        // The rest of a quoted value is not a target.
                        if word.contains("'") && !word.hasSuffix("'") {
                            while index + 1 < words.count && !words[index].hasSuffix("'") { index += 1 }
                        }
                    } else if word != ".." {
                        #expect(
                            targets.contains(word),
                            "\(location): `\(command)`: no make target \(word)")
                    }
                    index += 1
                }
                checked += 1
            } else if words.starts(with: ["swift", "run"]) {
                var rest = Array(words.dropFirst(2))
                if rest.first == "-c" { rest.removeFirst(2) }
                let product = rest.removeFirst()
                let flags = rest.filter { $0.hasPrefix("-") }.map { $0.components(separatedBy: "=")[0] }
                switch product {
                case "harness" where rest.first == "merge":
                    for flag in flags {
                        #expect(mergeHelp.contains(flag), "\(location): `\(command)`: harness merge has no \(flag)")
                    }
                case "harness":
                    for flag in flags {
                        #expect(harnessHelp.contains(flag), "\(location): `\(command)`: the harness has no \(flag)")
                    }
                    // The command itself, as far as --list goes: its paths and values must be taken.
                    let run = try Self.run("/bin/sh", ["-c", "\(HarnessProcess.binary) \(rest.joined(separator: " ")) --list"])
                    let placeholderFilter = run.status == 2 && run.output.contains("harness: no scenarios under")
                    #expect(run.status == 0 || placeholderFilter, "\(location): `\(command)` --list: \(run.output)")
                case "bench":
                    let help = try Self.run(benchBinary, ["--help"]).output
                    for flag in flags { #expect(help.contains(flag), "\(location): `\(command)`: bench has no \(flag)") }
                case "heap-bench":
                    let help = try Self.run(Self.repository.appendingPathComponent(".build/debug/heap-bench").path, ["--help"])
                        .output
                    for flag in flags { #expect(help.contains(flag), "\(location): `\(command)`: heap-bench has no \(flag)") }
                default:
                    Issue.record("\(location): `\(command)`: no product \(product) this test knows")
                }
                checked += 1
            }
        }
        #expect(checked >= 20, "only \(checked) commands found in the documents")
    }

    @Test func everyFlagInTheHarnessTableExists() throws {
        let text = try String(contentsOf: Self.repository.appendingPathComponent("docs/harness.md"), encoding: .utf8)
        let table = try #require(
            text.components(separatedBy: "## Flags").dropFirst().first?.components(separatedBy: "\n## ").first)
        // `harness run`'s flags (`harness PATH...` is `harness run PATH...`).
        let help = try Self.run(HarnessProcess.binary, ["run", "--help"]).output
        var rows = 0
        for line in table.split(separator: "\n") {
            // Every line of the table is a row: a paragraph inside it would break the table.
            if line.hasPrefix("| `") {
                rows += 1
                let first = line.split(separator: "|")[0]
                for flag in first.split(separator: "`").filter({ $0.hasPrefix("-") }) {
                    let name = String(flag.split(separator: " ")[0])
                    #expect(help.contains(name), "docs/harness.md: the harness has no \(name)")
                }
            }
        }
        #expect(rows >= 15, "the flags table has \(rows) rows")
        // And every flag the harness has is in the table.
        for flag in help.split(whereSeparator: { " ,\n".contains($0) }) where flag.hasPrefix("--") && flag != "--help" {
            let name = String(flag.prefix { $0.isLetter || $0.isNumber || $0 == "-" })
            #expect(table.contains("`\(name)"), "docs/harness.md's flags table does not list \(name)")
        }
    }
}
