// What a scenario file may hand to QEMU and to the artifacts folder. A scenario describes a
// machine and a conversation with it; it must not be able to make the harness (or QEMU on its
// behalf) run another program, open a listener, touch host files, or write outside --artifacts.
// QEMU always gets an argument vector (never a shell), so the rules are about what the words
// mean to QEMU: options that create backends (chardevs, monitors, netdevs, drives), device
// properties that attach to them, and QMP commands that launch, listen or write files.

public enum IsolationRules {
    /// Scenario names become artifact folder names: plain words, no path, bounded length.
    public static let maximumNameLength = 100
    /// Guest memory a scenario may ask for, in MiB (the build machines have 24 GiB and run two VMs).
    public static let memoryRange = 8...8192

    /// Options a scenario may add with `qemu-args`: they shape the machine and nothing else.
    /// Everything that creates a backend (`-chardev`, `-monitor`, `-serial`, `-netdev`, `-drive`,
    /// `-gdb`, `-plugin`, ...) is outside the list.
    static let allowedOptions: Set<String> = [
        "-machine", "-M", "-rtc", "-icount", "-global", "-overcommit", "-no-hpet", "-no-acpi",
        "-numa", "-smbios", "-enable-kvm", "-no-shutdown", "-action",
    ]
    /// Property names (in `-device` values, option values and QMP arguments) that attach to a
    /// host resource or name a host path.
    static let hostProperties: Set<String> = [
        "chardev", "netdev", "drive", "fsdev", "romfile", "file", "path", "rrfile", "memdev",
        "script", "downscript", "helper", "socket", "sock", "fd", "fds", "host", "port", "addr",
    ]
    /// QMP commands that launch programs, open listeners, create backends or write host files.
    static let refusedCommands: Set<String> = [
        "migrate", "migrate-incoming", "migrate-recover", "chardev-add", "chardev-change", "netdev_add",
        "object-add", "blockdev-add", "blockdev-create", "blockdev-backup", "blockdev-mirror",
        "blockdev-snapshot", "blockdev-snapshot-sync", "drive-backup", "drive-mirror", "block-commit",
        "block-stream", "block-export-add", "nbd-server-start", "nbd-server-add", "dump-guest-memory",
        "screendump", "pmemsave", "memsave", "getfd", "add-fd", "xen-save-devices-state",
        "xen-load-devices-state", "snapshot-save", "snapshot-load", "qmp_capabilities", "qom-set",
        "display-reload", "set_password", "device_add", "transaction", "chardev-remove", "dump-skeys",
    ]

    /// Why `name` cannot name an artifacts folder, or nil if it can.
    public static func problem(withName name: String) -> String? {
        if name.isEmpty || name.utf8.count > maximumNameLength {
            return "a scenario name must be 1 to \(maximumNameLength) characters"
        }
        let plain = name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
        if !plain || name.hasPrefix(".") {
            return "a scenario name may hold letters, digits, '-', '_' and '.' (not first), so it cannot leave the artifacts folder; not '\(printable(name))'"
        }
        return nil
    }

    /// Why the QEMU binary `path` is refused: only `qemu-system-*` programs run.
    static func problem(withBinary path: String) -> String? {
        let base = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        if base.hasPrefix("qemu-system-") && textProblem(path) == nil && !path.hasPrefix("-") { return nil }
        return "machine.qemu must be a qemu-system-* program (the harness runs nothing else), not '\(printable(path))'"
    }

    /// Why `arguments` (from `qemu-args`) are refused: only machine-shaping options, each value
    /// free of host resources.
    static func problem(withArguments arguments: [String]) -> String? {
        for (index, word) in arguments.enumerated() {
            if let problem = textProblem(word) { return "machine.qemu-args: \(problem)" }
            if word.hasPrefix("-") {
                guard allowedOptions.contains(word) else {
                    return "machine.qemu-args may only use \(allowedOptions.sorted().joined(separator: " ")); not '\(printable(word))' (sockets, monitors, devices and files are the harness's)"
                }
            } else if index == 0 {
                return "machine.qemu-args must start with an option, not '\(printable(word))'"
            } else if let property = hostProperty(in: word) {
                return "machine.qemu-args: '\(property)=' names a host resource; not allowed in '\(printable(word))'"
            }
        }
        return nil
    }

    /// Why an option value (a `-device` or `-cpu` value, given as `key`) is refused: it must
    /// not attach to a backend or a host file.
    static func problem(withValue value: String, of key: String) -> String? {
        if let problem = textProblem(value) { return "\(key): \(problem)" }
        if value.hasPrefix("-") { return "\(key): a value cannot start with '-': '\(printable(value))'" }
        if let property = hostProperty(in: value) {
            return "\(key): '\(property)=' attaches to a host resource; not allowed in '\(printable(value))'"
        }
        return nil
    }

    /// Why a QMP command from a scenario is refused.
    static func problem(withCommand command: String, arguments: [String: String]) -> String? {
        if refusedCommands.contains(command) {
            return "qmp: '\(command)' is not allowed in scenarios (it can start programs, open listeners, create backends or write host files)"
        }
        if command == "human-monitor-command" {
            let line = arguments["command-line"] ?? ""
            guard line.hasPrefix("info ") || line == "info", textProblem(line) == nil else {
                return "qmp: human-monitor-command may only run 'info ...' commands, not '\(printable(line))'"
            }
        }
        return nil
    }

    /// Why a string cannot be one argument word: NUL would cut it short and control characters
    /// (newlines) have no place on a command line.
    static func textProblem(_ text: String) -> String? {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "control characters (NUL, newline, ...) are not allowed: '\(printable(text))'"
        }
        return nil
    }

    /// The first `key=` in a comma-separated option value that names a host resource.
    static func hostProperty(in value: String) -> String? {
        for item in value.split(separator: ",") {
            // `-global isa-serial.chardev=x` names the property after the driver and a dot.
            let key = item.split(separator: "=", maxSplits: 1).first?.split(separator: ".").last.map(String.init) ?? ""
            if item.contains("=") && hostProperties.contains(key) { return key }
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
