// Shared machine profiles: `profiles.yaml` beside the scenarios (or in a folder above) names
// machines, and scenarios start from one (`default` unless `machine.profile` says otherwise).
import Foundation
import QEMUMachine
import Yams

public struct ProfileLibrary {
    public struct Profile {
        public var machine: MachineProfile
        /// Patterns that must never appear, for scenarios that do not list their own.
        public var never: [Pattern]
        /// What the kernel's exits and lines mean (`contract:`); empty assumes nothing.
        public var contract = KernelContract()
    }

    public static let fileName = "profiles.yaml"

    public var profiles: [String: Profile]
    /// Where the profiles came from (nil: built in).
    public var file: String?

    /// Used when no profiles.yaml exists: 4 vCPUs, 128 MiB, no kernel.
    public static let builtIn = ProfileLibrary(profiles: ["default": Profile(machine: MachineProfile(), never: [])], file: nil)

    /// The profiles.yaml nearest to `scenarioPath`, walking up from its folder.
    public static func nearest(to scenarioPath: String) throws -> ProfileLibrary {
        var folder = URL(fileURLWithPath: scenarioPath).deletingLastPathComponent().standardized
        while true {
            let candidate = folder.appendingPathComponent(fileName).path
            if FileManager.default.fileExists(atPath: candidate) { return try load(candidate) }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { return builtIn }
            folder = parent
        }
    }

    private static var cache: [String: ProfileLibrary] = [:]
    private static let cacheLock = NSLock()

    public static func load(_ path: String) throws -> ProfileLibrary {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let cached = cache[path] { return cached }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ScenarioError(file: path, line: 1, reason: "cannot read the file")
        }
        let library = try parse(text, file: path)
        cache[path] = library
        return library
    }

    /// The profiles in `text`; `file` names it in errors and anchors relative paths (no file is read).
    public static func parse(_ text: String, file path: String) throws -> ProfileLibrary {
        let reader = YAMLReader(file: path, text: text)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw reader.error(nil, "the file is empty") }
            root = node
        } catch let error as YamlError {
            throw ScenarioParser.refusal(error, reader: reader)
        }
        var library = ProfileLibrary(profiles: [:], file: path)
        let top = try reader.mapping(root, "profiles.yaml")
        for name in top.keys {
            let fields = try reader.mapping(top[name]!, "profile '\(name)'")
            try fields.check(allowed: ScenarioParser.machineKeys.filter { $0 != "profile" } + ["never", "contract"])
            var machine = MachineProfile()
            let machineOnly = YAMLReader.Mapping(reader: reader, node: fields.node, what: "profile '\(name)'",
                                                 entries: fields.entries.filter { $0.key != "never" && $0.key != "contract" })
            try ScenarioParser.applyMachine(machineOnly, to: &machine, reader: reader, relativeTo: path)
            let never = try fields["never"].map { node in
                try reader.sequence(node, "never").map { try reader.pattern($0, "each pattern of never") }
            } ?? []
            var profile = Profile(machine: machine, never: never)
            profile.contract = try fields["contract"].map { try KernelContract.parse($0, reader: reader) } ?? KernelContract()
            library.profiles[name] = profile
        }
        if library.profiles["default"] == nil {
            throw reader.error(root, "profiles.yaml needs a profile named 'default'")
        }
        return library
    }
}
