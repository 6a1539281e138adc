// UNIX stream sockets. The harness listens and QEMU connects as a client: the socket exists
// before QEMU starts, so there is no connect race and no retry loop.
import Glibc

public enum UnixSocket {
    /// A listening socket bound to `path` (which must not exist), backlog 1.
    public static func listen(at path: String) throws -> Int32 {
        let fd = try syscall("socket") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        }
        do {
            var address = try socketAddress(path)
            try withUnsafePointer(to: &address) { pointer -> Void in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    _ = try syscall("bind", detail: path) { bind(fd, raw, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
            try syscall("listen", detail: path) { Glibc.listen(fd, 1) }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// Accepts one pending connection as a non-blocking fd; nil when none is pending yet.
    public static func accept(_ listener: Int32) throws -> Int32? {
        let accepted = try nonBlockingSyscall("accept4") {
            SpawnLock.shared.withLock { () -> Int32 in
                let fd = Glibc.accept(listener, nil, nil)
                if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                return fd
            }
        }
        guard let fd = accepted else { return nil }
        setNonBlocking(fd)
        return fd
    }

    /// A blocking connect to `path`, the returned fd set non-blocking.
    public static func connect(to path: String) throws -> Int32 {
        let fd = try syscall("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do {
            var address = try socketAddress(path)
            try withUnsafePointer(to: &address) { pointer -> Void in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    _ = try syscall("connect", detail: path) { Glibc.connect(fd, raw, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
            setNonBlocking(fd)
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// A connected pair of non-blocking stream sockets (tests replay QEMU transcripts over one).
    public static func pair() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        try syscall("socketpair") {
            socketpair(
                AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds)
        }
        return (fds[0], fds[1])
    }

    private static func socketAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw SystemError("bind", errno: ENAMETOOLONG, detail: path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }
}

public func setNonBlocking(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFL)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
}

/// Writes all of `bytes` to a possibly non-blocking socket (MSG_NOSIGNAL: a peer that hung up
/// gives EPIPE, never SIGPIPE), waiting for POLLOUT when the peer's
/// buffer is full, for at most `timeoutSeconds` in all.
public func writeAll(_ fd: Int32, _ bytes: [UInt8], timeoutSeconds: Double = 10) throws {
    let deadline = MonotonicInstant.now.adding(seconds: timeoutSeconds)
    var offset = 0
    while offset < bytes.count {
        let written = try nonBlockingSyscall("write", detail: "fd \(fd)") {
            bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        if let written {
            offset += written
            continue
        }
        let remaining = deadline.seconds(since: .now)
        guard remaining > 0 else { throw SystemError("write", errno: ETIMEDOUT, detail: "fd \(fd)") }
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&entry, 1, Int32(remaining * 1000) + 1)
    }
}
