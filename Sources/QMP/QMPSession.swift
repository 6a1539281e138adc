// The QMP conversation as a state machine: messages and commands go in, actions come out (bytes
// to send, replies, events). No sockets here, so every path is testable with plain values.

public struct QMPSession {
    public enum State: Equatable {
        case awaitingGreeting
        case negotiating
        case ready
        case closed(QMPError)
    }

    public enum Action: Equatable {
        /// Write this text (one JSON object and a newline) to QEMU.
        case send(String)
        /// Capabilities are negotiated: commands now run and events flow.
        case ready(QMPGreeting)
        /// The answer to command `id`.
        case reply(id: Int, Result<JSONValue, QMPError>)
        case event(QMPEvent)
    }

    public private(set) var state: State = .awaitingGreeting
    public private(set) var greeting: QMPGreeting?
    private var nextID = 1
    private var capabilitiesID = 0
    /// Commands sent and not yet answered: id → command name.
    private var inFlight: [Int: String] = [:]
    /// Commands issued before negotiation finished, sent once it has, in order.
    private var queued: [(id: Int, text: String)] = []

    public init() {}

    /// Issues a command. Before the session is ready the command waits in a queue; after it has
    /// closed, the command fails at once.
    public mutating func execute(_ command: String, arguments: JSONValue? = nil) -> (id: Int, actions: [Action]) {
        let id = nextID
        nextID += 1
        if case .closed(let why) = state {
            return (id, [.reply(id: id, .failure(why))])
        }
        var message: [String: JSONValue] = ["execute": .string(command), "id": .int(Int64(id))]
        if let arguments { message["arguments"] = arguments }
        let text = JSONCodec.serialize(.object(message)) + "\n"
        inFlight[id] = command
        if state == .ready { return (id, [.send(text)]) }
        queued.append((id, text))
        return (id, [])
    }

    /// Handles one framed message (or framing error) from QEMU.
    public mutating func receive(_ input: QMPFramer.Output) -> [Action] {
        if case .closed = state { return [] }
        switch input {
        case .malformed(let reason, let raw):
            return close(.protocolViolation("QEMU sent text that is not JSON (\(reason)): \(raw.prefix(200))"))
        case .message(let message, _):
            return route(message)
        }
    }

    /// The connection ended. Every command still waiting fails with `why`.
    public mutating func connectionClosed(_ why: String) -> [Action] {
        if case .closed = state { return [] }
        return close(.connectionClosed(why))
    }

    private mutating func route(_ message: JSONValue) -> [Action] {
        // Events may come at any moment, even before the capabilities reply: route by keys.
        if let event = QMPEvent(message) { return [.event(event)] }
        if state == .awaitingGreeting {
            guard let greeting = QMPGreeting(message) else {
                return close(.protocolViolation("expected the QMP greeting, got \(message)"))
            }
            self.greeting = greeting
            state = .negotiating
            capabilitiesID = nextID
            nextID += 1
            let text = JSONCodec.serialize(.object(["execute": "qmp_capabilities", "id": .int(Int64(capabilitiesID))]))
            return [.send(text + "\n")]
        }
        let result: Result<JSONValue, QMPError>
        if let value = message["return"] {
            result = .success(value)
        } else if let error = message["error"] {
            let errorClass = error["class"]?.stringValue ?? "?"
            let text = error["desc"]?.stringValue ?? ""
            guard message["id"] != nil else {
                // QEMU answers without an id only when it could not parse what it was sent.
                return close(.protocolViolation("QEMU could not parse a command: \(errorClass): \(text)"))
            }
            let id = message["id"]?.intValue.map(Int.init) ?? -1
            result = .failure(.refused(command: inFlight[id] ?? "?", errorClass: errorClass, description: text))
        } else {
            return close(.protocolViolation("unexpected message \(message)"))
        }
        guard let id = message["id"]?.intValue.map(Int.init) else {
            return close(.protocolViolation("reply without an id: \(message)"))
        }
        if state == .negotiating && id == capabilitiesID {
            if case .failure(let error) = result {
                return close(.protocolViolation("qmp_capabilities failed: \(error)"))
            }
            state = .ready
            var actions: [Action] = [.ready(greeting!)]
            actions += queued.map { .send($0.text) }
            queued.removeAll()
            return actions
        }
        // A reply to a command we no longer wait for (it timed out) is dropped.
        guard inFlight.removeValue(forKey: id) != nil else { return [] }
        return [.reply(id: id, result)]
    }

    private mutating func close(_ why: QMPError) -> [Action] {
        state = .closed(why)
        let failed = inFlight.keys.sorted().map { Action.reply(id: $0, .failure(why)) }
        inFlight.removeAll()
        queued.removeAll()
        return failed
    }

    /// Forgets command `id` (its caller gave up waiting).
    public mutating func abandon(_ id: Int) { inFlight[id] = nil }
}
