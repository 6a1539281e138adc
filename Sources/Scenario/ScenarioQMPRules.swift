// The QMP commands a scenario may send (`- qmp:` steps), each with the arguments it may take
// and their types. A step's arguments are checked against this and QEMU gets a new object
// built from the checked values, never the scenario's own: a key with a NUL (json-c would cut
// it and QEMU read a second `command-line`), an unknown key or a value of the wrong type does
// not get through.
//
// These are the scenario's commands only. The harness sends its own (`cont`, `quit`,
// `human-monitor-command info registers` for a diagnosis, later `screendump` into the run's
// private directory) through QMPClient directly, outside these rules.
import QMP

enum ScenarioQMPRules {
    enum ArgumentType: String {
        case string, integer, boolean
    }

    /// Commands and their arguments (name: type). Queries that report on the machine, run
    /// control, and `human-monitor-command` for the `info` subcommands below.
    static let commands: [String: [String: ArgumentType]] = [
        "query-status": [:], "query-cpus-fast": [:], "query-version": [:], "query-name": [:], "query-kvm": [:],
        "query-uuid": [:], "query-target": [:], "query-current-machine": [:], "query-hotpluggable-cpus": [:],
        "query-memory-size-summary": [:], "query-memory-devices": [:], "query-iothreads": [:],
        "query-pci": [:], "query-acpi-ospm-status": [:], "query-replay": [:], "query-commands": [:],
        "query-events": [:], "query-mice": [:], "query-vm-generation-id": [:], "query-balloon": [:],
        "stop": [:], "cont": [:], "system_reset": [:], "system_powerdown": [:], "system_wakeup": [:],
        "inject-nmi": [:],
        "human-monitor-command": ["command-line": .string, "cpu-index": .integer],
    ]

    /// `info` subcommands that only report on the VM: not `roms`, `block`, `chardev`,
    /// `snapshots`, `usernet`, `migrate` ... (they name host files, sockets or backends).
    static let infoSubcommands: Set<String> = [
        "status", "registers", "cpus", "lapic", "pic", "irq", "mem", "tlb", "mtree", "qtree", "qom-tree",
        "numa", "kvm", "version", "name", "uuid", "hotpluggable-cpus", "memdev", "memory_size_summary",
        "pci", "jit", "opcount", "sync-profile", "history", "cpustats", "balloon", "mice",
    ]

    /// The command's arguments rebuilt from the checked values, or why they are refused.
    static func arguments(for command: String, _ given: JSONValue?) -> Result<JSONValue?, IsolationProblem> {
        guard let schema = commands[command] else {
            return .failure(
                .init(
                    "qmp: '\(IsolationRules.printable(command))' is not a command scenarios may send (allowed: \(commands.keys.sorted().joined(separator: ", ")))"
                ))
        }
        guard let given else {
            if command == "human-monitor-command" {
                return .failure(.init("qmp: human-monitor-command needs arguments: {command-line: info ...}"))
            }
            return .success(nil)
        }
        guard let members = given.objectValue else { return .failure(.init("qmp.arguments must be a mapping")) }
        var rebuilt: [String: JSONValue] = [:]
        for (key, value) in members {
            if let problem = IsolationRules.textProblem(key) { return .failure(.init("qmp.arguments: a key with \(problem)")) }
            guard let type = schema[key] else {
                let known = schema.keys.sorted().joined(separator: ", ")
                return .failure(
                    .init(
                        "qmp: \(command) takes \(known.isEmpty ? "no arguments" : "only \(known)"); not '\(IsolationRules.printable(key))'"
                    ))
            }
            switch (type, value) {
            case (.string, .string(let text)):
                if let problem = IsolationRules.textProblem(text) { return .failure(.init("qmp.arguments.\(key): \(problem)")) }
                rebuilt[key] = .string(text)
            case (.integer, _) where value.intValue != nil:
                rebuilt[key] = .int(value.intValue!)
            case (.boolean, .bool(let flag)):
                rebuilt[key] = .bool(flag)
            default:
                return .failure(.init("qmp.arguments.\(key) must be a \(type.rawValue)"))
            }
        }
        if command == "human-monitor-command" {
            guard case .string(let line)? = rebuilt["command-line"] else {
                return .failure(.init("qmp: human-monitor-command needs command-line: info ..."))
            }
            if let problem = infoProblem(line) { return .failure(.init(problem)) }
        }
        return .success(.object(rebuilt))
    }

    /// Why an HMP command line is not a read-only `info` command: `info`, one listed
    /// subcommand, and at most three plain words (flags such as `-a`) after it.
    static func infoProblem(_ line: String) -> String? {
        let words = line.split(separator: " ").map(String.init)
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard words.count >= 2, words.count <= 5, words[0] == "info", infoSubcommands.contains(words[1]),
            words.dropFirst(2).allSatisfy({ $0.allSatisfy(plain.contains) })
        else {
            return
                "qmp: human-monitor-command may only run 'info SUBCOMMAND' with one of \(infoSubcommands.sorted().joined(separator: ", ")); not '\(IsolationRules.printable(line))'"
        }
        return nil
    }
}
