// HostSystem's libc calls whose failure is an error go through `syscall(_:_:)` here (or
// `nonBlockingSyscall` on a non-blocking descriptor, where EAGAIN is an answer), so failures
// carry the call's name and errno, and EINTR is retried in one place. Left outside on purpose:
// the signal handler's `write` (async-signal-safe, nothing to report to), the reactor's `poll`
// (an interrupted wait goes back to recompute its deadline), `close`, and `fcntl` flag changes
// on descriptors we own. swift-system's FileDescriptor and Errno would cover files only, not
// sockets, poll or posix_spawn, so the harness keeps this one thin layer instead of two.
import Glibc

/// A failed POSIX call: which call, on what, and errno's text.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let call: String
    public let errno: Int32
    public let detail: String

    public init(_ call: String, errno: Int32 = Glibc.errno, detail: String = "") {
        self.call = call
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        let what = detail.isEmpty ? "" : " (\(detail))"
        return "\(call)\(what): \(String(cString: strerror(errno)))"
    }
}

/// Runs a libc call returning -1 on failure, retrying on EINTR.
@discardableResult
func syscall<T: FixedWidthInteger>(
    _ name: String, detail: @autoclosure () -> String = "",
    _ body: () -> T
) throws -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(name, errno: code, detail: detail())
    }
}

/// Runs a libc call on a non-blocking descriptor: nil when it would block (EAGAIN), retrying on
/// EINTR, throwing on any other failure.
func nonBlockingSyscall<T: FixedWidthInteger>(
    _ name: String, detail: @autoclosure () -> String = "",
    _ body: () -> T
) throws -> T? {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        if code == EAGAIN || code == EWOULDBLOCK { return nil }
        throw SystemError(name, errno: code, detail: detail())
    }
}
