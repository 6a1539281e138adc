// What a scenario file may hand to QEMU and to the artifacts folder (docs/security.md). A
// scenario describes a machine and a conversation with it; it must not be able to make the
// harness (or QEMU on its behalf) run another program, open a listener, touch host files, or
// write outside --artifacts. The rules are allowlists: QEMUOptionRules (devices, options),
// ScenarioQMPRules (QMP commands), PathConfinement (files); here the names and plain text.

public enum IsolationRules {
    /// Scenario names become artifact folder names: plain words, no path, bounded length.
    public static let maximumNameLength = 100
    /// Guest memory a scenario may ask for, in MiB (the build machines have 24 GiB and run two VMs).
    public static let memoryRange = 8...8192

    /// Why `name` cannot name an artifacts folder, or nil if it can.
    public static func problem(withName name: String) -> String? {
        if name.isEmpty || name.utf8.count > maximumNameLength {
            return "a scenario name must be 1 to \(maximumNameLength) characters"
        }
        let plain = name.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)
        }
        if !plain || name.hasPrefix(".") {
            return
                "a scenario name may hold letters, digits, '-', '_' and '.' (not first), so it cannot leave the artifacts folder; not '\(printable(name))'"
        }
        return nil
    }

    /// Why `machine.qemu` is refused: it names a program the harness looks up on the PATH of
    /// the person running it (or they give a path with --qemu), never a file: no `/`.
    static func problem(withBinary name: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-")
        if name.hasPrefix("qemu-system-") && name.count > "qemu-system-".count && name.allSatisfy(allowed.contains) {
            return nil
        }
        return
            "machine.qemu must name a qemu-system-* program (looked up on the PATH of whoever runs the harness; a path is theirs to give with --qemu), not '\(printable(name))'"
    }

    /// Why a string cannot be one argument word: NUL would cut it short and control characters
    /// (newlines) have no place on a command line.
    static func textProblem(_ text: String) -> String? {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "control characters (NUL, newline, ...) are not allowed: '\(printable(text))'"
        }
        return nil
    }

    /// `text` with control characters shown as `\xNN`, cut to a readable length.
    static func printable(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars.prefix(120) {
            shown += scalar.value < 0x20 || scalar.value == 0x7f ? "\\x" + String(scalar.value, radix: 16) : String(scalar)
        }
        return text.unicodeScalars.count > 120 ? shown + "..." : shown
    }
}
