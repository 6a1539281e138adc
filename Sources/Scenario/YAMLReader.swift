// Reading Yams nodes with the errors a person needs: every value knows its line, every mapping
// refuses keys nobody asked for, every conversion says what it expected.
import Foundation
import QMP
import Yams

struct YAMLReader {
    let file: String
    /// The text's last line. Yams places what ends the text (an empty document after `---`, an
    /// error at the end) on the line after it; errors name the last line instead, which exists.
    let lastLine: Int

    init(file: String, text: String) {
        self.file = file
        lastLine = ScenarioError.lineCount(text)
    }

    func error(_ node: Node?, _ reason: String) -> ScenarioError {
        error(line: node?.mark?.line ?? 1, reason)
    }

    func error(line: Int, _ reason: String) -> ScenarioError {
        ScenarioError(file: file, line: min(max(line, 1), lastLine), reason: reason)
    }

    /// A mapping whose keys are checked against what the caller reads.
    func mapping(_ node: Node, _ what: String) throws -> Mapping {
        guard case .mapping(let mapping) = node else {
            throw error(node, "\(what) must be a mapping of keys to values")
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (key, value) in mapping {
            // Yams itself refuses duplicate keys (see ScenarioParser.refusal).
            guard let name = key.scalar?.string else { throw error(key, "keys of \(what) must be plain words") }
            entries.append((name, key, value))
        }
        return Mapping(reader: self, node: node, what: what, entries: entries)
    }

    func string(_ node: Node, _ what: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw error(node, "\(what) must be a single value, not a list or mapping") }
        return scalar.string
    }

    func strings(_ node: Node, _ what: String) throws -> [String] {
        if case .scalar = node { return [try string(node, what)] }
        guard case .sequence(let items) = node else { throw error(node, "\(what) must be a list") }
        return try items.map { try string($0, "each item of \(what)") }
    }

    func sequence(_ node: Node, _ what: String) throws -> [Node] {
        guard case .sequence(let items) = node else { throw error(node, "\(what) must be a list") }
        return Array(items)
    }

    func integer(_ node: Node, _ what: String, range: ClosedRange<Int64> = Int64.min...Int64.max) throws -> Int64 {
        let text = try string(node, what)
        guard let value = Int64(text.replacingOccurrences(of: "_", with: "")), range.contains(value) else {
            throw error(node, "\(what) must be a whole number in \(range.lowerBound)...\(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// A finite number, whole or not (`2048`, `-0.5`, `1_000`).
    func number(_ node: Node, _ what: String) throws -> Double {
        let text = try string(node, what)
        guard let value = Double(text.replacingOccurrences(of: "_", with: "")), value.isFinite else {
            throw error(node, "\(what) must be a number, not '\(text)'")
        }
        return value
    }

    func bool(_ node: Node, _ what: String) throws -> Bool {
        switch try string(node, what) {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error(node, "\(what) must be true or false, not '\(other)'")
        }
    }

    /// `30s`, `500ms`, `2m`, or a bare number of seconds.
    func duration(_ node: Node, _ what: String) throws -> Double {
        let text = try string(node, what).trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count)), number >= 0 { return number * scale }
        }
        if let number = Double(text), number >= 0 { return number }
        throw error(node, "\(what) must be a duration such as 30s, 500ms or 2m, not '\(text)'")
    }

    /// `128M`, `1G`, or a bare number of MiB.
    func mebibytes(_ node: Node, _ what: String) throws -> Int {
        let text = try string(node, what).uppercased()
        var number = text
        var scale = 1
        if text.hasSuffix("G") {
            number = String(text.dropLast())
            scale = 1024
        } else if text.hasSuffix("M") {
            number = String(text.dropLast())
        }
        guard let value = Int(number), value > 0, case let (mebibytes, overflow) = value.multipliedReportingOverflow(by: scale),
            !overflow
        else {
            throw error(node, "\(what) must be a size such as 128M or 1G, not '\(text)'")
        }
        return mebibytes
    }

    func pattern(_ node: Node, _ what: String) throws -> Pattern {
        let text = try string(node, what)
        guard !text.isEmpty else { throw error(node, "\(what) must not be empty") }
        do {
            return try Pattern(text)
        } catch {
            throw self.error(node, "\(what) is not a valid regular expression: \(error)")
        }
    }

    /// A YAML value as JSON for QMP: mappings, lists, numbers, booleans, null, strings.
    func json(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                if let int = node.int { return .int(Int64(int)) }
                if let bool = node.bool { return .bool(bool) }
                if node.null != nil { return .null }
                if let double = node.float { return .double(double) }
            }
            return .string(scalar.string)
        case .sequence(let items):
            return .array(try items.map(json))
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.scalar?.string else { throw error(key, "JSON keys must be strings") }
                members[name] = try json(value)
            }
            return .object(members)
        case .alias:
            throw error(node, "aliases are not supported in scenario files")
        }
    }

    struct Mapping {
        let reader: YAMLReader
        let node: Node
        let what: String
        let entries: [(key: String, keyNode: Node, value: Node)]

        var keys: [String] { entries.map(\.key) }

        subscript(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

        func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }

        /// Refuses any key outside `allowed`, naming the ones that are.
        func check(allowed: [String]) throws {
            for entry in entries where !allowed.contains(entry.key) {
                throw reader.error(
                    entry.keyNode,
                    "unknown key '\(entry.key)' in \(what) (allowed: \(allowed.joined(separator: ", ")))")
            }
        }

        func required(_ key: String) throws -> Node {
            guard let value = self[key] else { throw reader.error(node, "\(what) needs '\(key)'") }
            return value
        }
    }
}
