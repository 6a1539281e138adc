// A scenario file the harness refuses, said the way compilers say it: file:line: reason.

public struct ScenarioError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let reason: String

    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(file):\(line): \(reason)" }
}
