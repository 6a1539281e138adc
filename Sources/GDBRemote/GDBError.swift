// What can go wrong talking to a gdbstub. "The stub refused" (an `Exx` reply) and "the
// connection dropped" are different failures with different remedies.

public enum GDBError: Error, Equatable, CustomStringConvertible {
    case refused(request: String, reply: String)
    case unsupported(request: String)
    case connectionClosed(String)
    case timedOut(String, seconds: Double)
    case malformedReply(request: String, reply: String)

    public var description: String {
        switch self {
        case .refused(let request, let reply): return "gdbstub refused \(request): \(reply)"
        case .unsupported(let request): return "gdbstub does not support \(request)"
        case .connectionClosed(let why): return "gdbstub connection closed: \(why)"
        case .timedOut(let what, let seconds): return "gdbstub: no \(what) within \(seconds)s"
        case .malformedReply(let request, let reply): return "gdbstub answered \(request) with \(reply.prefix(120))"
        }
    }
}
