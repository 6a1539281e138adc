// Swift names through the host's own runtime demangler (libswiftCore's swift_demangle), so
// frames read like the source. The kernel is Embedded Swift: its names start `$e`, which the
// runtime understands as well as `$s`.

import Foundation

@_silgen_name("swift_demangle")
private func _swiftDemangle(
    _ mangled: UnsafePointer<CChar>?, _ length: Int,
    _ output: UnsafeMutablePointer<CChar>?, _ outputSize: UnsafeMutablePointer<Int>?,
    _ flags: UInt32
) -> UnsafeMutablePointer<CChar>?

public enum SwiftDemangler {
    /// The full demangled form, or nil when `name` is not a Swift symbol.
    public static func demangle(_ name: String) -> String? {
        guard name.hasPrefix("$s") || name.hasPrefix("$e") || name.hasPrefix("_$s") || name.hasPrefix("$S") else { return nil }
        return name.withCString { pointer -> String? in
            guard let result = _swiftDemangle(pointer, name.utf8.count, nil, nil, 0) else { return nil }
            defer { free(result) }
            return String(cString: result)
        }
    }

    /// A short form for backtraces: no module prefix, no result type, no `static`:
    /// `static Kernel.Scheduler.reap(cpu: Swift.Int) -> ()` becomes `Scheduler.reap(cpu:)`.
    public static func simplified(_ name: String) -> String {
        guard let full = demangle(name) else { return name }
        return simplify(full)
    }

    static func simplify(_ full: String) -> String {
        var text = full
        // The optimizer's copies read as the function they copy: `generic specialization
        // <KernelHeapBacking> of KernelHeapCore.init(...)`, `function signature specialization
        // <Arg[2] = [Closure Propagated : ...]> of kmain(...)`.
        for prefix in ["merged "] where text.hasPrefix(prefix) { text.removeFirst(prefix.count) }
        while text.hasPrefix("generic specialization <") || text.hasPrefix("function signature specialization <"),
            let of = text.range(of: "> of ")
        {
            text = String(text[of.upperBound...])
        }
        // `(reportPressure in _E6A8...)` names a private function: keep the name.
        text = text.replacingOccurrences(of: #"\((\w+) in _[0-9A-F]+\)"#, with: "$1", options: .regularExpression)
        // A closure's own signature says little in a backtrace: `closure #1 (UInt64) -> () in`.
        text = text.replacingOccurrences(of: #"(closure #\d+) .*? in "#, with: "$1 in ", options: .regularExpression)
        // A global's closure: `in variable initialization expression of X : Type` → `in X`.
        text = text.replacingOccurrences(of: "variable initialization expression of ", with: "")
        text = text.replacingOccurrences(of: #" : [^ ].*$"#, with: "", options: .regularExpression)
        text = text.replacingAll("static ", with: "").replacingAll("Kernel.", with: "").replacingAll("Swift.", with: "")
        // Keep argument labels only: `(cpu: Int, x: Int) -> ()` becomes `(cpu:x:)`.
        return dropSignatures(text)
    }

    /// Rewrites every `name(label: Type, ...) -> Result` into `name(label:...)`, keeping the
    /// `closure #1 in` / `in` structure of the demangled text.
    private static func dropSignatures(_ text: String) -> String {
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c == "(", let close = matchingParen(text, index) {
                let inside = text[text.index(after: index)..<close]
                out += "(" + labels(inside) + ")"
                index = text.index(after: close)
                // Skip ` -> Result` up to the next ` in ` or the end.
                if text[index...].hasPrefix(" -> ") {
                    if let range = text.range(of: " in ", range: index..<text.endIndex) {
                        index = range.lowerBound
                    } else {
                        index = text.endIndex
                    }
                }
                continue
            }
            out.append(c)
            index = text.index(after: index)
        }
        return out
    }

    private static func matchingParen(_ text: String, _ open: String.Index) -> String.Index? {
        var depth = 0
        var index = open
        while index < text.endIndex {
            if text[index] == "(" { depth += 1 }
            if text[index] == ")" {
                depth -= 1
                if depth == 0 { return index }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// `cpu: Int, _: Int` → `cpu:_:`; `(Int)` → `_:`.
    private static func labels(_ inside: Substring) -> String {
        var result = ""
        var depth = 0
        var current = ""
        var previous: Character = " "
        for c in inside {
            if c == "(" || c == "<" || c == "[" { depth += 1 }
            // The `>` of an arrow `->` closes nothing.
            if c == ")" || (c == ">" && previous != "-") || c == "]" { depth -= 1 }
            previous = c
            if c == "," && depth == 0 {
                result += label(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        result += label(current)
        return result
    }

    private static func label(_ parameter: String) -> String {
        let trimmed = parameter.drop(while: { $0 == " " })
        guard !trimmed.isEmpty else { return "" }
        // The demangler leaves out `_:` when no parameter has a label: `trapDispatch(_:)`.
        guard let colon = trimmed.firstIndex(of: ":") else { return "_:" }
        let name = trimmed[..<colon]
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return "_:" }
        return name + ":"
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
