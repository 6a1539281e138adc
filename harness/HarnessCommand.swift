// The `harness` command: `run` (the default, so `harness scenarios/` runs them) and `merge`.
import ArgumentParser

@main
struct HarnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harness",
        abstract: "Boot kernels under QEMU, run scenario files, and report (JUnit XML and HTML).",
        discussion: "`harness PATH...` is `harness run PATH...`. See docs/harness.md.",
        subcommands: [RunCommand.self, MergeCommand.self],
        defaultSubcommand: RunCommand.self)
}
