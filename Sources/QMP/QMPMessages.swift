// What a QMP conversation carries besides replies: the greeting, events, and the errors a caller
// must be able to tell apart.

/// QEMU's first message, before capability negotiation.
public struct QMPGreeting: Equatable {
    /// "major.minor.micro", e.g. "7.2.22".
    public let version: String
    public let package: String
    public let capabilities: [String]

    init?(_ message: JSONValue) {
        guard let qmp = message["QMP"], let qemu = qmp["version"]?["qemu"] else { return nil }
        let parts = ["major", "minor", "micro"].map { qemu[$0]?.intValue.map(String.init) ?? "?" }
        version = parts.joined(separator: ".")
        package = qmp["version"]?["package"]?.stringValue ?? ""
        if case .array(let items)? = qmp["capabilities"] {
            capabilities = items.compactMap(\.stringValue)
        } else {
            capabilities = []
        }
    }
}

/// An asynchronous event such as STOP, RESUME, RESET, SHUTDOWN or GUEST_PANICKED.
public struct QMPEvent: Equatable, CustomStringConvertible {
    public let name: String
    public let data: JSONValue
    /// QEMU's timestamp, in seconds since the epoch.
    public let timestamp: Double

    init?(_ message: JSONValue) {
        guard let name = message["event"]?.stringValue else { return nil }
        self.name = name
        data = message["data"] ?? .object([:])
        let seconds = message["timestamp"]?["seconds"]?.intValue ?? 0
        let micros = message["timestamp"]?["microseconds"]?.intValue ?? 0
        timestamp = Double(seconds) + Double(micros) / 1e6
    }

    public init(name: String, data: JSONValue = .object([:]), timestamp: Double = 0) {
        self.name = name
        self.data = data
        self.timestamp = timestamp
    }

    /// True when this is `name` and its data holds every member of `data` (a subset match).
    public func matches(name wanted: String, data pattern: JSONValue?) -> Bool {
        name == wanted && (pattern.map { data.contains($0) } ?? true)
    }

    public var description: String { "\(name) \(data)" }
}

public enum QMPError: Error, Equatable, CustomStringConvertible {
    /// QEMU understood the command and refused it (`{"error": {"class": ..., "desc": ...}}`).
    case refused(command: String, errorClass: String, description: String)
    /// The connection ended (QEMU exited or closed the socket) before the answer came.
    case connectionClosed(String)
    /// QEMU sent something that is not QMP, or could not parse what we sent.
    case protocolViolation(String)
    /// No answer within the time allowed.
    case timedOut(String, seconds: Double)

    public var description: String {
        switch self {
        case .refused(let command, let errorClass, let text):
            return "QEMU refused \(command): \(errorClass): \(text)"
        case .connectionClosed(let why):
            return "QMP connection closed: \(why)"
        case .protocolViolation(let why):
            return "QMP protocol violation: \(why)"
        case .timedOut(let what, let seconds):
            return "QMP: no \(what) within \(seconds)s"
        }
    }
}
