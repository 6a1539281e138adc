// Lines that say a kernel panicked or reported a fatal error, each with the title it is reported
// under. The built-in ones cover Linux's reports, titled as syzkaller (pkg/report/linux.go) names
// them, without the function its titles take from the stack; a profile adds its own
// (`contract: {panic-lines: [...]}`) or drops these (`panic-defaults: false`).

import Foundation

public struct PanicLine: Equatable {
    public let pattern: Pattern
    /// The report's title; `$1` stands for the pattern's first capture group.
    public let title: String

    public init(_ pattern: String, title: String) throws {
        self.pattern = try Pattern(pattern)
        self.title = title
    }

    /// The title for `line`, or nil when the pattern does not match it.
    public func title(for line: String) -> String? {
        guard pattern.matches(line) else { return nil }
        guard title.contains("$1") else { return title }
        let captured = pattern.firstCapture(in: line) ?? ""
        return title.replacingOccurrences(of: "$1", with: captured).trimmingCharacters(in: .whitespaces)
    }

    /// Linux's panic and fatal-report lines, most specific first.
    public static let builtIn: [PanicLine] = [
        try! PanicLine("/Kernel panic - not syncing: ?(.*)/", title: "kernel panic: $1"),
        try! PanicLine("/BUG: soft lockup - CPU#/", title: "BUG: soft lockup"),
        try! PanicLine("/rcu: INFO: .*detected stalls? on/", title: "INFO: rcu detected stall"),
        try! PanicLine("/INFO: task .* blocked for more than [0-9]+ seconds/", title: "INFO: task hung"),
        try! PanicLine("/general protection fault/", title: "general protection fault"),
        try! PanicLine("/BUG: (unable to handle [a-z ]+)/", title: "BUG: $1"),
        try! PanicLine("/BUG: ([A-Za-z][^:\\[]*)/", title: "BUG: $1"),
        try! PanicLine("/Oops: /", title: "Oops"),
    ]
}
