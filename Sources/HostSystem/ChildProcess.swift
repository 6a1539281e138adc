// A child process in its own process group, so a terminal's Ctrl-C reaches only the harness
// (which then shuts QEMU down in order) and a signal to the group reaches all of QEMU.
import Glibc

public enum ProcessExit: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let sig): return "killed by signal \(sig) (\(String(cString: strsignal(sig))))"
        }
    }
}

public final class ChildProcess {
    public let pid: pid_t
    public let arguments: [String]
    /// Read end of the child's stderr (non-blocking). It reaches end-of-file when the child
    /// exits, which is how a reactor learns of the exit without polling waitpid.
    public let stderrFD: Int32
    public private(set) var exitStatus: ProcessExit?

    /// Starts `arguments[0]` (searched in PATH) with stdin and stdout on /dev/null, stderr on a
    /// pipe, no other descriptor, default signal dispositions and an empty signal mask, as
    /// leader of a new group.
    /// With `capturingStdout`, stdout goes into the same pipe as stderr (for `--version`).
    ///
    /// With `killedWithSpawningThread`, the child gets SIGKILL from the kernel if the spawning
    /// thread dies first (PR_SET_PDEATHSIG, set by util-linux `setpriv` just before it execs the
    /// program, same pid): even a harness killed outright leaves no QEMU behind. Precondition:
    /// the calling thread outlives the child (it reaps it). Without setpriv, the flag is moot.
    public static func spawn(
        _ arguments: [String], killedWithSpawningThread: Bool = false,
        capturingStdout: Bool = false
    ) throws -> ChildProcess {
        precondition(!arguments.isEmpty)
        var command = arguments
        let setprivPaths: [String] = ["/usr/bin/setpriv", "/bin/setpriv"]
        if killedWithSpawningThread, let setpriv = setprivPaths.first(where: { access($0, X_OK) == 0 }) {
            command = [setpriv, "--pdeathsig", "KILL", "--"] + arguments
        }
        // A socket pair rather than pipe(2): Glibc does not offer pipe2 to Swift, and the
        // close-on-exec flag must be set atomically, or a QEMU spawned by another thread at the
        // same moment would inherit this write end and keep it from ever reaching EOF.
        var pipeFDs: [Int32] = [-1, -1]
        try syscall("socketpair") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pipeFDs)
        }
        defer { close(pipeFDs[1]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if capturingStdout {
            posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        // Nothing else crosses over, close-on-exec or not: a descriptor some library of ours
        // left inheritable (a test runner's TCP connection was one) must not reach QEMU.
        // (Actions run in order: this comes after the last dup2 from a higher descriptor.)
        _ = closeFrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, sig) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes,
            Int16(
                POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF
                    | POSIX_SPAWN_SETSIGMASK))

        var cArguments: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let result = SpawnLock.shared.withLock {
            posix_spawnp(&pid, command[0], &actions, &attributes, &cArguments, environ)
        }
        if result != 0 {
            close(pipeFDs[0])
            throw SystemError("posix_spawnp", errno: result, detail: arguments[0])
        }
        setNonBlocking(pipeFDs[0])
        return ChildProcess(pid: pid, arguments: arguments, stderrFD: pipeFDs[0])
    }

    private init(pid: pid_t, arguments: [String], stderrFD: Int32) {
        self.pid = pid
        self.arguments = arguments
        self.stderrFD = stderrFD
    }

    deinit { close(stderrFD) }

    /// Sends `sig` to the child's whole process group, unless it has been reaped (its pid, and so
    /// its group id, could then belong to someone else).
    public func signalGroup(_ sig: Int32) {
        guard exitStatus == nil else { return }
        kill(-pid, sig)
    }

    /// Blocks until the child has exited and reaps it. Call once its stderr reached EOF or
    /// after SIGKILL, when the wait is short.
    @discardableResult
    public func waitForExit() -> ProcessExit {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { break }
        }
        let result: ProcessExit =
            (status & 0x7f) == 0
            ? .exited((status >> 8) & 0xff)
            : .signaled(status & 0x7f)
        exitStatus = result
        return result
    }

    /// The command line as a person would paste it into a shell.
    public var shellCommand: String { arguments.map(shellQuoted).joined(separator: " ") }
}

/// Quotes `word` for a POSIX shell only when it needs it.
public func shellQuoted(_ word: String) -> String {
    let plain = word.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
            || "-_./=,:@+%".unicodeScalars.contains($0)
    }
    if plain && !word.isEmpty { return word }
    return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does
/// not show (it is declared only under _GNU_SOURCE): looked up once, called as the C function it
/// is. Without it (an older glibc) nothing is added and close-on-exec is the only guard.
private let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
        return nil
    }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()

private func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32 {
    addCloseFrom?(actions, lowest) ?? ENOSYS
}
