// Ctrl-C and SIGTERM become a readable pipe that every VM's reactor watches, so each VM is torn
// down by its own thread (quit, SIGTERM, SIGKILL, reap) and the report is still written.
import Glibc

public enum InterruptSignal {
    // The signal handler may only touch these plain globals and call write(2).
    nonisolated(unsafe) private static var pipeFDs: (read: Int32, write: Int32) = {
        var fds: [Int32] = [-1, -1]
        _ = socketpair(
            AF_UNIX,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                | Int32(SOCK_NONBLOCK.rawValue), 0, &fds)
        signalWriteFD = fds[1]
        return (fds[0], fds[1])
    }()

    /// Becomes (and stays) readable once a signal arrived: nobody ever drains it.
    public static var readFD: Int32 { pipeFDs.read }

    /// The last signal received, 0 if none.
    public static var lastSignal: Int32 { signalNumber }

    public static var wasReceived: Bool { signalNumber != 0 }

    /// Installs the SIGINT and SIGTERM handlers and ignores SIGPIPE (a closed QEMU socket must
    /// give EPIPE, not kill the harness). Children get default dispositions back at spawn.
    public static func install() {
        _ = pipeFDs
        signal(SIGPIPE, SIG_IGN)
        for sig in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                signalNumber = number
                var byte: UInt8 = 1
                _ = write(signalWriteFD, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(sig, &action, nil)
        }
        // A parent may have started us with these blocked (a libdispatch worker thread blocks
        // nearly everything, and the mask survives exec): without this, Ctrl-C would be lost.
        var wanted = sigset_t()
        sigemptyset(&wanted)
        sigaddset(&wanted, SIGINT)
        sigaddset(&wanted, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
    }
}

nonisolated(unsafe) private var signalWriteFD: Int32 = -1
nonisolated(unsafe) private var signalNumber: Int32 = 0
