// How scenario files say which lines they mean: plain text matches as a substring (the common
// case, and cheap on a flooding console); text between slashes is a regular expression.

public struct Pattern: Equatable, CustomStringConvertible {
    public let source: String
    private let regex: Regex<AnyRegexOutput>?

    /// `/.../` compiles as a regular expression (throwing when it is not one); anything else is
    /// a literal substring.
    public init(_ source: String) throws {
        self.source = source
        if source.count >= 2, source.hasPrefix("/"), source.hasSuffix("/") {
            regex = try Regex(String(source.dropFirst().dropLast()))
        } else {
            regex = nil
        }
    }

    public func matches(_ line: String) -> Bool {
        if let regex { return (try? regex.firstMatch(in: line)) != nil }
        return line.contains(source)
    }

    /// The text of the first capture group where a regular expression matches `line` (nil for
    /// plain text, no match, or a group that took no part).
    public func firstCapture(in line: String) -> String? {
        guard let regex, let match = try? regex.firstMatch(in: line), match.output.count > 1,
            let range = match.output[1].range
        else { return nil }
        return String(line[range])
    }

    public var isRegularExpression: Bool { regex != nil }

    public var description: String { regex == nil ? "\"\(source)\"" : source }

    public static func == (a: Pattern, b: Pattern) -> Bool { a.source == b.source }
}
