// A QEMU option value (`-device`, `-machine`, `-global`, `-cpu` ...) in QemuOpts syntax, parsed
// into a head word and key=value pairs so it can be checked item by item and then written out
// again from what was checked (never passed on as the text it came in). The syntax accepted is
// a strict subset of QEMU's: no `,,` escapes, no bare `key` (QEMU reads it as key=on) or `nokey`
// (key=off), no JSON (`{"driver": ...}`), no duplicate key, and words made of a small alphabet,
// so what QEMU reads is exactly what was checked.

struct OptionValue: Equatable {
    /// The implied first item (`-device DRIVER,...`, `-machine TYPE,...`), if the option has one.
    var head: String?
    var pairs: [(key: String, value: String)]

    static func == (a: OptionValue, b: OptionValue) -> Bool {
        a.head == b.head && a.pairs.map(\.key) == b.pairs.map(\.key) && a.pairs.map(\.value) == b.pairs.map(\.value)
    }

    /// Characters of a key: QOM property names are lower-case words with `-`, `_` and `.`.
    static let keyCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    /// Characters of a value: numbers, names, on/off, ranges (`0-3`), addresses (`0x4.0`).
    /// No `,` (item separator), `=`, `/` (paths), quotes, spaces or control characters.
    static let valueCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:+")

    /// Parses `text`; `headed` when the first item is the implied word. Returns the value or
    /// why it is refused (`what` names the key in the message).
    static func parse(_ text: String, headed: Bool, what: String) -> Result<OptionValue, IsolationProblem> {
        if let problem = IsolationRules.textProblem(text) { return .failure(.init("\(what): \(problem)")) }
        if text.hasPrefix("{") {
            return .failure(
                .init(
                    "\(what): the JSON form is not accepted; write \(headed ? "NAME," : "")key=value,... ('\(IsolationRules.printable(text))')"
                ))
        }
        if text.contains(",,") {
            return .failure(.init("\(what): ',,' (an escaped comma) is not accepted in '\(IsolationRules.printable(text))'"))
        }
        var items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var value = OptionValue(head: nil, pairs: [])
        if headed {
            let head = items.removeFirst()
            guard !head.isEmpty, !head.contains("="), head.allSatisfy(keyCharacters.contains), !head.hasPrefix("-") else {
                return .failure(
                    .init(
                        "\(what): '\(IsolationRules.printable(text))' must start with a name (letters, digits, - _ .), not '\(IsolationRules.printable(head))'"
                    ))
            }
            value.head = head
        }
        var seen: Set<String> = []
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                return .failure(
                    .init("\(what): '\(IsolationRules.printable(item))' in '\(IsolationRules.printable(text))' is not key=value"))
            }
            let (key, itemValue) = (parts[0], parts[1])
            guard key.allSatisfy(keyCharacters.contains) else {
                return .failure(.init("\(what): the key '\(IsolationRules.printable(key))' may hold only letters, digits, - _ ."))
            }
            guard !itemValue.isEmpty, itemValue.allSatisfy(valueCharacters.contains) else {
                return .failure(
                    .init(
                        "\(what): the value of '\(key)' may hold only letters, digits and - _ . : + (no paths, spaces or quotes), not '\(IsolationRules.printable(itemValue))'"
                    ))
            }
            // QEMU matches some keys with '-' and '_' alike, and QOM names are case-sensitive
            // while people are not: one key, one value, whatever its spelling.
            let normal = normalised(key)
            guard seen.insert(normal).inserted else {
                return .failure(.init("\(what): '\(key)' is given twice in '\(IsolationRules.printable(text))'"))
            }
            value.pairs.append((key, itemValue))
        }
        return .success(value)
    }

    static func normalised(_ key: String) -> String {
        key.lowercased().replacingOccurrences(of: "_", with: "-")
    }

    /// The value as QEMU reads it, written from the parsed items.
    var encoded: String {
        ((head.map { [$0] } ?? []) + pairs.map { "\($0.key)=\($0.value)" }).joined(separator: ",")
    }
}

/// Why the isolation rules refuse something (a message for file:line).
struct IsolationProblem: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}
