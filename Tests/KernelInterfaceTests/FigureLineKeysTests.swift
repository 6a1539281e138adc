// The kernel's figure lines are a contract (docs/kernel-interface.md, "Figure lines"): the keys
// each `Console.record` printer writes, read from the kernel's sources, must be the table's,
// in order, printed from the file the table names.
import Foundation
import Testing

/// One figure record: its tag, its keys in order, and the file that prints it.
struct FigureRecord: Hashable, CustomStringConvertible {
    var tag: String
    var keys: [String]
    var file: String
    var description: String { "\(tag) [\(keys.joined(separator: ", "))] in \(file)" }
}

enum FigureLineSources {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The table under "## Figure lines" in docs/kernel-interface.md.
    static func documented() throws -> [FigureRecord] {
        let text = try String(contentsOf: root.appendingPathComponent("docs/kernel-interface.md"), encoding: .utf8)
        guard let section = text.range(of: "\n## Figure lines\n") else { return [] }
        var records: [FigureRecord] = []
        for line in text[section.upperBound...].split(separator: "\n") {
            if line.hasPrefix("## ") { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count == 5, cells[1].hasPrefix("`") else { continue }
            let code = { (cell: String) in backticked(cell) }
            guard let tag = code(cells[1]).first, let file = code(cells[3]).first else { continue }
            records.append(FigureRecord(tag: tag, keys: code(cells[2]), file: file))
        }
        return records
    }

    /// Every `Console.record`/`forcedRecord` in kernel/ (user programs aside), with the keys of
    /// the `field` calls in its closure, helpers taking the line (`func name(_ l: ConsoleLine)`)
    /// expanded where they are called.
    static func printed() throws -> [FigureRecord] {
        let kernel = root.appendingPathComponent("kernel")
        var files: [(path: String, text: String)] = []
        let walker = FileManager.default.enumerator(at: kernel, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            guard url.pathExtension == "swift", !url.path.contains("/kernel/user/") else { continue }
            let path = String(url.path.dropFirst(root.path.count + 1))
            files.append((path, try String(contentsOf: url, encoding: .utf8)))
        }
        var helpers: [String: String] = [:]
        let helperPattern = try NSRegularExpression(pattern: #"func (\w+)\(_ \w+: ConsoleLine\)"#)
        for file in files {
            for match in helperPattern.matches(in: file.text, range: NSRange(file.text.startIndex..., in: file.text)) {
                let name = String(file.text[Range(match.range(at: 1), in: file.text)!])
                helpers[name] = closure(in: file.text, after: Range(match.range, in: file.text)!.upperBound)
            }
        }
        let recordPattern = try NSRegularExpression(pattern: #"Console\.(?:forced)?[rR]ecord\("([^"]*)"\)"#)
        var records: [FigureRecord] = []
        for file in files.sorted(by: { $0.path < $1.path }) {
            for match in recordPattern.matches(in: file.text, range: NSRange(file.text.startIndex..., in: file.text)) {
                let tag = String(file.text[Range(match.range(at: 1), in: file.text)!])
                let body = closure(in: file.text, after: Range(match.range, in: file.text)!.upperBound) ?? ""
                records.append(FigureRecord(tag: tag, keys: try keys(in: body, helpers: helpers), file: file.path))
            }
        }
        return records
    }

    /// The keys `field` calls write, in order: `field("k", v)` is `k`, `field("k", index: n, v)`
    /// is `k<n>`, `field(cpu: c, "k", v)` is `cpu<i>.k`; a helper's keys where it is called.
    static func keys(in body: String, helpers: [String: String], depth: Int = 0) throws -> [String] {
        let pattern = try NSRegularExpression(pattern: #"\.field\((cpu: [^,]+, )?"([^"]+)"(, index:)?|(\w+)\((?:l|\$0)\)"#)
        var keys: [String] = []
        for match in pattern.matches(in: body, range: NSRange(body.startIndex..., in: body)) {
            let group = { (i: Int) in Range(match.range(at: i), in: body).map { String(body[$0]) } }
            if let key = group(2) {
                keys.append(group(1) != nil ? "cpu<i>.\(key)" : group(3) != nil ? "\(key)<n>" : key)
            } else if let name = group(4), let helper = helpers[name], depth < 4 {
                keys += try self.keys(in: helper, helpers: helpers, depth: depth + 1)
            }
        }
        return keys
    }

    /// The text between the first `{` after `index` and its matching `}`.
    static func closure(in text: String, after index: String.Index) -> String? {
        guard let open = text[index...].firstIndex(of: "{") else { return nil }
        var depth = 0
        var position = open
        while position < text.endIndex {
            switch text[position] {
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 { return String(text[text.index(after: open)..<position]) }
            default: break
            }
            position = text.index(after: position)
        }
        return nil
    }

    static func backticked(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }
}

@Suite struct FigureLineKeysTests {
    @Test func documentedKeysArePrintedKeys() throws {
        let documented = try FigureLineSources.documented()
        let printed = try FigureLineSources.printed()
        #expect(documented.count >= 18, "the table in docs/kernel-interface.md was not found")
        for record in printed where !documented.contains(record) {
            Issue.record("printed but not documented (or documented differently): \(record)")
        }
        for record in documented where !printed.contains(record) {
            Issue.record("documented but not printed (or printed differently): \(record)")
        }
        #expect(documented.count == printed.count)
    }

    @Test func helpersAndNumberedKeysAreRead() throws {
        let helpers = ["describe": #"l.field(cpu: c, "ran", ranOn[c]) } l.field("cpus_used", n)"#]
        let body = #"l.field("threads", n); ThreadBatch.describe(l); l.field("size", index: 16, 3)"#
        #expect(try FigureLineSources.keys(in: body, helpers: helpers) == ["threads", "cpu<i>.ran", "cpus_used", "size<n>"])
    }
}
