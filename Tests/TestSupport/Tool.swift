// A command-line tool run to its end by a test (xmllint, llvm-nm, gdb, gcc, sha256sum...):
// found on PATH, its exit status and everything it printed on stdout and stderr. Both pipes
// are drained at once, so a tool that fills one while the test reads the other cannot stall.
import Foundation

public struct ToolResult {
    public let status: Int32
    public let output: String
    public let errors: String
}

public enum Tool {
    public static func run(_ arguments: [String]) throws -> ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorText = DrainedPipe()
        let drained = DispatchGroup()
        drained.enter()
        DispatchQueue.global().async {
            errorText.data = errors.fileHandleForReading.readDataToEndOfFile()
            drained.leave()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        return ToolResult(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            errors: String(decoding: errorText.data, as: UTF8.self))
    }
}

/// stderr's bytes, written by the thread that drains it and read after `drained.wait()`.
private final class DrainedPipe: @unchecked Sendable {
    var data = Data()
}
