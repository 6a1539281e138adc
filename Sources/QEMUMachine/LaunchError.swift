// A QEMU that did not come up says what was run, how it ended and what it printed.
import HostSystem

public struct LaunchError: Error, CustomStringConvertible {
    public let commandLine: String
    public let reason: String
    public let exitStatus: ProcessExit?
    public let stderrTail: String

    public var description: String {
        var text = "QEMU failed to start: \(reason)\n  command: \(commandLine)"
        if let exitStatus { text += "\n  \(exitStatus)" }
        if !stderrTail.isEmpty {
            text += "\n  stderr (last lines):\n" + stderrTail.split(separator: "\n").map { "    \($0)" }.joined(separator: "\n")
        }
        return text
    }
}
