// Is the QEMU a scenario names there, and new enough? Asked once per binary per harness run
// (`qemu-system-x86_64 --version`), before any VM of it starts, so a missing or old QEMU is one
// clear message naming the Debian package instead of a socket timeout.
import Glibc
import HostSystem
import Synchronization

public enum QEMUInstallation {
    /// What the harness needs: `-action panic=none` (QEMU 6.0) is the newest option it uses;
    /// QMP `query-cpus-fast` (2.12), `-accel tcg,thread=multi` and `-gdb chardev:` are older.
    public static let minimumVersion = [6, 0]
    /// What the tests run against (Debian bookworm's qemu-system-x86).
    public static let testedVersion = "7.2"

    /// Answers so far, by binary (VM threads ask at the same time).
    private static let checked = Mutex<[String: Result<String, LaunchError>]>([:])

    /// The version of `binary` (e.g. "7.2.22"), or a LaunchError saying what to install.
    public static func check(_ binary: String) throws -> String {
        try checked.withLock { answers in
            if let known = answers[binary] { return known }
            let result = probe(binary)
            answers[binary] = result
            return result
        }.get()
    }

    /// The Debian package that provides `binary`.
    public static func package(for binary: String) -> String {
        let name = binary.split(separator: "/").last.map(String.init) ?? binary
        switch name {
        case "qemu-system-x86_64", "qemu-system-i386": return "qemu-system-x86"
        default: return "the qemu-system-* package that provides \(name)"
        }
    }

    /// `binary` as a path to run: a path as given (the person's, from --qemu), a name looked up
    /// in the absolute entries of PATH (a relative entry would make the working directory, a
    /// scenario folder perhaps, a source of programs). nil when no such program is there.
    public static func locate(_ binary: String, searchPath: String? = nil) -> String? {
        if binary.contains("/") { return binary }
        let searchPath = searchPath ?? getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in searchPath.split(separator: ":") where folder.hasPrefix("/") {
            let candidate = folder + "/" + binary
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// "6.0" style text of a version.
    static func text(_ version: [Int]) -> String { version.map(String.init).joined(separator: ".") }

    private static func probe(_ binary: String) -> Result<String, LaunchError> {
        let command = [locate(binary) ?? binary, "--version"]
        let place = binary.contains("/") ? "" : " on PATH"
        let needs = "the harness needs QEMU \(text(minimumVersion)) or newer (tested with \(testedVersion))"
        let install =
            "install the Debian package \(package(for: binary)) (`apt-get install \(package(for: binary))`, or `make deps` as root)"
        func failure(_ reason: String, output: String = "", status: ProcessExit? = nil) -> Result<String, LaunchError> {
            .failure(
                LaunchError(
                    commandLine: command.map(shellQuoted).joined(separator: " "), reason: reason,
                    exitStatus: status, stderrTail: output))
        }
        guard locate(binary) != nil else {
            return failure("\(binary) was not found on PATH: \(install); \(needs)")
        }
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(command, capturingStdout: true)
        } catch let error as SystemError where error.errno == ENOENT || error.errno == EACCES {
            return failure("\(binary) was not found\(place) or cannot run (\(error)): \(install); \(needs)")
        } catch {
            return failure("\(binary) could not be started (\(error)): \(install); \(needs)")
        }
        let (output, status) = collectOutput(of: process)
        // "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"
        let prefix = "QEMU emulator version "
        guard status == .exited(0), let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else {
            return failure(
                "\(binary) --version did not say which QEMU it is (\(status)): \(install); \(needs)",
                output: output, status: status)
        }
        let versionText = String(line.dropFirst(prefix.count).prefix { $0.isNumber || $0 == "." })
        let version = versionText.split(separator: ".").compactMap { Int($0) }
        guard version.count >= 2 else {
            return failure("\(binary) --version printed no version number: \(install); \(needs)", output: output, status: status)
        }
        if version.lexicographicallyPrecedes(minimumVersion) {
            return failure("\(binary) is QEMU \(versionText), too old: \(needs); \(install) from a newer release", output: output)
        }
        return .success(versionText)
    }

    /// Everything the process prints, and how it ended; at most 10 s and 64 KiB.
    static func collectOutput(of process: ChildProcess) -> (String, ProcessExit) {
        var bytes: [UInt8] = []
        var ended = false
        let reactor = Reactor(observesInterrupts: false)
        reactor.watchStream(process.stderrFD) { event in
            switch event {
            case .data(let chunk): if bytes.count < 64 * 1024 { bytes += chunk }
            case .end: ended = true
            }
        }
        let deadline = MonotonicInstant.now.adding(seconds: 10)
        _ = try? reactor.run(until: { ended }, deadline: { deadline })
        reactor.unwatch(process.stderrFD)
        if !ended { process.signalGroup(SIGKILL) }
        return (String(decoding: bytes, as: UTF8.self), process.waitForExit())
    }
}
