// How a profile's kernel image is made: `build:` in profiles.yaml, a host command the harness
// runs once per harness run before the first boot of that image (Runner's KernelBuilder). Only a
// profiles.yaml may carry it, never a scenario's `machine:` (docs/harness.md, "Building the
// kernel", says which profiles.yaml files are trusted to run it).

public struct KernelBuild: Hashable {
    /// The command, run by `/bin/sh -c` in `folder`.
    public let command: String
    /// The profiles.yaml's folder: where the command runs.
    public let folder: String
    /// The profiles.yaml and the line of its `build:` key.
    public let file: String
    public let line: Int

    public init(command: String, folder: String, file: String, line: Int) {
        self.command = command
        self.folder = folder
        self.file = file
        self.line = line
    }

    public var location: String { "\(file):\(line)" }
}

/// Where a value of a scenario or profile was written.
public struct SourceLine: Hashable {
    public let file: String
    public let line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
}
