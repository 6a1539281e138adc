// The guest's console in deterministic mode: a pair of FIFOs (QEMU's `-chardev pipe`) instead of
// a UNIX socket. QEMU writes the console one byte per write on a non-blocking descriptor; when a
// write fails with EAGAIN, the 16550 model waits for the host to make room (a main-loop watch)
// and the guest sees its transmitter busy for a host-chosen time: the execution then depends on
// how fast the harness reads. A UNIX stream socket refuses a sender after about 270 unread
// one-byte writes (each is charged a whole buffer's overhead against the 208 KiB send buffer),
// which a harness thread descheduled for a moment reaches: 7 of 10 runs of one seed were
// identical over a socket, 30 of 30 over a file. A pipe counts bytes: sized to 1 MiB, the harness
// would have to fall a whole MiB behind, and whether the pipe ever filled is measurable, so a run
// where it did is marked as not deterministic instead of passing for one.
import Glibc
import HostSystem

public final class SerialPipe {
    /// `-chardev pipe,path=` prefix: QEMU opens `<path>.in` and `<path>.out`.
    public let path: String
    /// The harness's ends, once opened (after QEMU has opened its own).
    public private(set) var readFD: Int32 = -1
    public private(set) var writeFD: Int32 = -1
    /// Bytes the output pipe holds.
    public private(set) var capacity = 0
    /// Set when the output pipe was seen full: QEMU may have waited on the host.
    public private(set) var filled = false

    static let wantedCapacity: Int32 = 1 << 20
    /// Linux's F_SETPIPE_SZ and F_GETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7 and + 8), which Glibc's
    /// Swift module does not export.
    private static let setPipeSize: Int32 = 1031, getPipeSize: Int32 = 1032

    /// Makes the two FIFOs in the VM's private directory.
    init(directory: String) throws {
        path = directory + "/serial"
        for name in [path + ".in", path + ".out"] where mkfifo(name, 0o600) != 0 {
            throw SystemError("mkfifo", detail: name)
        }
    }

    /// Opens the harness's ends. Precondition: QEMU has opened both FIFOs (it does so before its
    /// monitor greets us), so neither open blocks and the output reads end-of-file only when
    /// QEMU is gone.
    func open() throws {
        readFD = Glibc.open(path + ".out", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if readFD < 0 { throw SystemError("open", detail: path + ".out") }
        writeFD = Glibc.open(path + ".in", O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        if writeFD < 0 { throw SystemError("open", detail: path + ".in") }
        _ = fcntl(readFD, Self.setPipeSize, Self.wantedCapacity)
        capacity = Int(fcntl(readFD, Self.getPipeSize))
    }

    /// Called with each chunk read: the pipe held the chunk plus what is still unread.
    func noteRead(_ count: Int) {
        guard !filled, readFD >= 0 else { return }
        var unread: Int32 = 0
        if ioctl(readFD, UInt(FIONREAD), &unread) == 0, count + Int(unread) >= capacity { filled = true }
    }

    /// Types `bytes` into the input FIFO (waiting up to 10 s for room).
    func send(_ bytes: [UInt8]) throws {
        let deadline = MonotonicInstant.now.adding(seconds: 10)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(writeFD, $0.baseAddress, $0.count) }
            if written >= 0 {
                offset += written
                continue
            }
            if errno == EINTR { continue }
            guard errno == EAGAIN, deadline.seconds(since: .now) > 0 else { throw SystemError("write", detail: path + ".in") }
            var entry = pollfd(fd: writeFD, events: Int16(POLLOUT), revents: 0)
            _ = poll(&entry, 1, 100)
        }
    }

    func closeInput() {
        if writeFD >= 0 {
            close(writeFD)
            writeFD = -1
        }
    }

    /// Why a run is not deterministic because of its console, if it is not.
    public var problem: String? {
        filled ? "the serial pipe filled (the harness fell \(capacity) bytes behind the guest), so QEMU waited on the host" : nil
    }
}
