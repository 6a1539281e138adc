// Finding scenario files and choosing which run: every *.yaml under the folders given
// (recursively, profiles.yaml excepted), all parsed before anything boots.
import Foundation

public struct ScenarioCatalog {
    public var scenarios: [Scenario] = []
    public var errors: [ScenarioError] = []

    /// Parses every scenario under `paths`. A path naming a file is taken as-is, even if it is a
    /// nightly or bench scenario (someone asked for it by name). Each path's scenarios are
    /// confined to its root (PathConfinement.root(for:)) and the `allowed` directories. With
    /// `checkingImages` false the kernel images are not looked at yet: call `checkImages` once
    /// their builds have run.
    public static func load(
        _ paths: [String], includeNightly: Bool, filter: String?,
        allowing allowed: [String] = [], checkingImages: Bool = true
    ) -> ScenarioCatalog {
        var catalog = ScenarioCatalog()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                catalog.errors.append(ScenarioError(file: path, line: 1, reason: "no such file or folder"))
                continue
            }
            let files = isDirectory.boolValue ? scenarioFiles(under: path) : [path]
            let confinement = PathConfinement(root: PathConfinement.root(for: path), allowed: allowed)
            for file in files {
                do {
                    let scenario = try ScenarioParser.parseUnchecked(file: file, confinement: confinement)
                    // Bench scenarios are measurements that `make bench` names one by one.
                    if isDirectory.boolValue && (scenario.isBench || scenario.isNightly && !includeNightly) { continue }
                    if let filter, !matches(filter, scenario) { continue }
                    catalog.scenarios.append(scenario)
                } catch let error as ScenarioError {
                    catalog.errors.append(error)
                } catch {
                    catalog.errors.append(ScenarioError(file: file, line: 1, reason: "\(error)"))
                }
            }
        }
        if checkingImages { catalog.checkImages(requireExisting: false) }
        return catalog
    }

    /// Refuses the scenarios whose kernel image is missing (one refusal per image, naming it and
    /// how to make it) or lacks a symbol their `gdb:` steps name. Images in `failedBuilds` are
    /// left alone: their runs fail with the build's output. `buildSkipped` says why a profile's
    /// build command was not run, for images it would have made.
    /// With `requireExisting` false, a missing image is not refused (its runs fail instead).
    public mutating func checkImages(
        requireExisting: Bool = true, failedBuilds: Set<String> = [],
        buildSkipped: [KernelBuild: String] = [:]
    ) {
        var refusedImages: Set<String> = []
        scenarios = scenarios.filter { scenario in
            if let kernel = scenario.machine.kernel,
                failedBuilds.contains(kernel)
                    || !requireExisting && !FileManager.default.fileExists(atPath: kernel)
            {
                return true
            }
            do {
                try ScenarioParser.checkImage(scenario, buildSkipped: scenario.kernelBuild.flatMap { buildSkipped[$0] })
                return true
            } catch let error as ScenarioError {
                let missing = scenario.machine.kernel.map { !FileManager.default.fileExists(atPath: $0) } ?? false
                if !missing || refusedImages.insert(scenario.machine.kernel!).inserted { errors.append(error) }
                return false
            } catch {
                errors.append(ScenarioError(file: scenario.file, line: 1, reason: "\(error)"))
                return false
            }
        }
    }

    /// Scenario files under `folder`, sorted, as paths beginning with `folder`.
    public static func scenarioFiles(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml"), name != ProfileLibrary.fileName,
                !name.hasPrefix(".")
            else { continue }
            let base = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
            files.append(base + "/" + relative)
        }
        return files.sorted()
    }

    /// `--filter`: a shell-style glob (with * or ?) or a substring, against name and path.
    static func matches(_ filter: String, _ scenario: Scenario) -> Bool {
        if filter.contains("*") || filter.contains("?") {
            return fnmatch(filter, scenario.name, 0) == 0 || fnmatch(filter, scenario.file, 0) == 0
        }
        return scenario.name.contains(filter) || scenario.file.contains(filter)
    }
}
