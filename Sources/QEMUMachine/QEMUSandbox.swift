// Defence in depth (docs/security.md): even if a scenario found a hole in the rules, the QEMU it
// drives must not reach the host. Two layers, both set up by the harness for every VM:
// - seccomp: `-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny`
//   (QEMU cannot fork or exec a program, change its privileges or its scheduling);
// - a private filesystem and namespaces from bubblewrap: QEMU sees /usr (its libraries and
//   firmware) read-only, the kernel and modules read-only, its socket directory, a private /dev,
//   /proc and /tmp, and nothing else of the host; it has its own network (no interface but a
//   loopback that is down), pid, IPC and UTS namespaces, no capabilities, and dies with the harness.
// Where bubblewrap cannot be used (not installed, namespaces not permitted) QEMU runs with
// seccomp only, and the run's properties and the terminal say so.
import Glibc
import HostSystem
import Synchronization

public enum QEMUSandbox {
    /// How much of the sandbox a launch gets. `.full` is what runs use; the others exist for
    /// `make bench`, which measures what each layer costs.
    public enum Level: String, Sendable {
        case full
        case seccompOnly = "seccomp-only"
        case off
    }

    /// What a launch got, for the run's properties.
    public enum Applied: Equatable, Sendable, CustomStringConvertible {
        case full
        case seccompOnly(reason: String)
        case off

        public var description: String {
            switch self {
            case .full: return "bubblewrap (private filesystem, network, pid, ipc, uts namespaces) + seccomp"
            case .seccompOnly(let reason): return "seccomp only, no private filesystem view: \(reason)"
            case .off: return "off"
            }
        }
    }

    /// QEMU's own seccomp filter.
    public static let seccompArguments = ["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"]

    /// Where bubblewrap is looked for (not on PATH: a scenario's folder could be on it).
    static let bubblewrapPaths = ["/usr/bin/bwrap", "/bin/bwrap"]

    /// Answers so far, by QEMU binary: nil if the view works, else why not.
    private static let probed = Mutex<[String: String?]>([:])

    /// Why QEMU `binary` (a path) cannot run in the private view here, or nil if it can. Tried
    /// once per binary per harness process: `binary --version` inside the view.
    public static func problem(forBinary binary: String) -> String? {
        probed.withLock { answers in
            if let known = answers[binary] { return known }
            let answer = probe(binary)
            answers[binary] = answer
            return answer
        }
    }

    private static func probe(_ binary: String) -> String? {
        guard let bwrap = bubblewrapPaths.first(where: { access($0, X_OK) == 0 }) else {
            return "bubblewrap is not installed (apt-get install bubblewrap, or make deps as root)"
        }
        let command = [bwrap] + viewArguments(binary: binary, readOnly: [], writable: [], devices: []) + [binary, "--version"]
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(command, capturingStdout: true)
        } catch {
            return "\(bwrap) could not be started (\(error))"
        }
        let (output, status) = QEMUInstallation.collectOutput(of: process)
        guard status == .exited(0), output.contains("QEMU emulator version") else {
            let said = output.split(separator: "\n").first.map(String.init) ?? ""
            return "bubblewrap could not set up the view here (\(status)\(said.isEmpty ? "" : ": \(said)"))"
        }
        return nil
    }

    /// `arguments` (QEMU's, the binary first, as a path) wrapped for `level`, and what was
    /// applied. The view holds `readOnly` files, the `writable` socket directory, and /dev/kvm
    /// when KVM is used. QEMU starts in `workingDirectory` (one of `writable`), or in /.
    static func wrap(
        _ arguments: [String], level: Level, readOnly: [String], writable: [String],
        kvm: Bool, workingDirectory: String? = nil
    ) -> (command: [String], applied: Applied) {
        // Outside bubblewrap, coreutils' env changes directory and execs QEMU (same pid).
        let inDirectory = { (command: [String]) in
            workingDirectory.map { ["/usr/bin/env", "--chdir=\($0)"] + command } ?? command
        }
        switch level {
        case .off:
            return (inDirectory(arguments), .off)
        case .seccompOnly:
            return (inDirectory(withSeccomp(arguments)), .seccompOnly(reason: "asked for"))
        case .full:
            let binary = arguments[0]
            if let problem = problem(forBinary: binary) {
                return (inDirectory(withSeccomp(arguments)), .seccompOnly(reason: problem))
            }
            let bwrap = bubblewrapPaths.first { access($0, X_OK) == 0 }!
            var view = viewArguments(
                binary: binary, readOnly: readOnly, writable: writable,
                devices: kvm ? ["/dev/kvm"] : [])
            if let workingDirectory, let chdir = view.lastIndex(of: "--chdir") { view[chdir + 1] = workingDirectory }
            return ([bwrap] + view + withSeccomp(arguments), .full)
        }
    }

    private static func withSeccomp(_ arguments: [String]) -> [String] {
        [arguments[0]] + seccompArguments + arguments.dropFirst()
    }

    /// bubblewrap's options for the view (paths inside are the same as outside).
    static func viewArguments(binary: String, readOnly: [String], writable: [String], devices: [String]) -> [String] {
        var view = ["--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--ro-bind", "/usr", "/usr"]
        // Merged /usr (Debian): /lib, /bin ... are symlinks into it; elsewhere, directories.
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64"] {
            var info = stat()
            guard lstat(top, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFLNK, let target = linkTarget(top) {
                view += ["--symlink", target, top]
            } else {
                view += ["--ro-bind", top, top]
            }
        }
        view += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
        // A QEMU the person named with --qemu outside /usr: its installation prefix.
        if !binary.hasPrefix("/usr/") {
            let prefix = parent(parent(binary))
            view += ["--ro-bind", prefix == "" ? "/" : prefix, prefix == "" ? "/" : prefix]
        }
        view += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        for device in devices { view += ["--dev-bind-try", device, device] }
        // Missing files are QEMU's to report ("could not load kernel"), not bubblewrap's.
        for path in readOnly { view += ["--ro-bind-try", path, path] }
        for path in writable { view += ["--bind", path, path] }
        return view + ["--chdir", "/", "--"]
    }

    private static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    private static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The process that really is QEMU: `pid` itself without bubblewrap, else the innermost
    /// descendant of bubblewrap (its pid-namespace init, then QEMU). For tests and the
    /// "keep the VM" message; nil once it has gone.
    public static func innermostProcess(of pid: pid_t) -> pid_t? {
        var current = pid
        for _ in 0..<4 {
            let path = "/proc/\(current)/task/\(current)/children"
            guard let text = try? readText(path) else { return current == pid ? nil : current }
            guard let child = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.flatMap({ pid_t($0) }) else {
                return current
            }
            current = child
        }
        return current
    }

    private static func readText(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open", detail: path) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
