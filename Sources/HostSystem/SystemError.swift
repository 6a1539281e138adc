// Every libc call the harness makes goes through `syscall(_:_:)` here, so failures carry the
// call's name and errno, and EINTR is retried in one place.
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
func syscall<T: FixedWidthInteger>(_ name: String, detail: @autoclosure () -> String = "",
                                   _ body: () -> T) throws -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(name, errno: code, detail: detail())
    }
}
