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
        /// `build:`: how the profile's kernel image is made.
        public var build: KernelBuild?
        /// Where the profile's `kernel:` was written.
        public var kernelSource: SourceLine?
        /// What the kernel's exits and lines mean (`contract:`); empty assumes nothing.
        public var contract = KernelContract()
    }

    public static let fileName = "profiles.yaml"

    public var profiles: [String: Profile]
    /// Where the profiles came from (nil: built in).
    public var file: String?

    /// Used when no profiles.yaml exists: 4 vCPUs, 128 MiB, no kernel.
    public static let builtIn = ProfileLibrary(profiles: ["default": Profile(machine: MachineProfile(), never: [])], file: nil)

    /// The profiles.yaml nearest to `scenarioPath`, walking up from its folder to the root of
    /// `confinement` (a profiles.yaml above the root is not the scenario tree's).
    public static func nearest(to scenarioPath: String, confinement: PathConfinement? = nil) throws -> ProfileLibrary {
        let confinement = confinement ?? .forFile(scenarioPath)
        // The real path first: "../scenarios/x.yaml" walks up from where it really is.
        var folder = (PathConfinement.realPath(scenarioPath) as NSString).deletingLastPathComponent
        while confinement.contains(folder) {
            let candidate = folder + "/" + fileName
            if FileManager.default.fileExists(atPath: candidate) { return try load(candidate, confinement: confinement) }
            let parent = (folder as NSString).deletingLastPathComponent
            if parent == folder { break }
            folder = parent
        }
        return builtIn
    }

    private static var cache: [String: ProfileLibrary] = [:]
    private static let cacheLock = NSLock()

    public static func load(_ path: String, confinement: PathConfinement? = nil) throws -> ProfileLibrary {
        let confinement = confinement ?? .forFile(path)
        let key = ([path, confinement.root] + confinement.allowed).joined(separator: "\u{0}")
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let cached = cache[key] { return cached }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ScenarioError(file: path, line: 1, reason: "cannot read the file")
        }
        let library = try parse(text, file: path, confinement: confinement)
        cache[key] = library
        return library
    }

    /// The profiles in `text`; `file` names it in errors and anchors relative paths, which are
    /// resolved and confined (no file is read).
    public static func parse(_ text: String, file path: String, confinement: PathConfinement? = nil) throws -> ProfileLibrary {
        let confinement = confinement ?? .forFile(path)
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
            try fields.check(allowed: ScenarioParser.machineKeys.filter { $0 != "profile" } + ["never", "build", "contract"])
            var machine = MachineProfile()
            let machineOnly = YAMLReader.Mapping(
                reader: reader, node: fields.node, what: "profile '\(name)'",
                entries: fields.entries.filter { !["never", "build", "contract"].contains($0.key) })
            try ScenarioParser.applyMachine(machineOnly, to: &machine, reader: reader, relativeTo: path, confinement: confinement)
            let never =
                try fields["never"].map { node in
                    try reader.sequence(node, "never").map { try reader.pattern($0, "each pattern of never") }
                } ?? []
            let build = try fields["build"].map { node in
                let command = try reader.string(node, "build")
                if let problem = IsolationRules.textProblem(command) { throw reader.error(node, "build: \(problem)") }
                let folder = URL(fileURLWithPath: path).absoluteURL.deletingLastPathComponent().standardized.path
                return KernelBuild(command: command, folder: folder, file: path, line: node.mark?.line ?? 1)
            }
            let kernelSource = fields["kernel"].map { SourceLine(file: path, line: $0.mark?.line ?? 1) }
            var profile = Profile(machine: machine, never: never, build: build, kernelSource: kernelSource)
            profile.contract = try fields["contract"].map { try KernelContract.parse($0, reader: reader) } ?? KernelContract()
            library.profiles[name] = profile
        }
        if library.profiles["default"] == nil {
            throw reader.error(root, "profiles.yaml needs a profile named 'default'")
        }
        return library
    }
}
