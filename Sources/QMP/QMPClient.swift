// A QMP client over a connected socket, driven by the VM's reactor: framing and session logic
// live in QMPFramer and QMPSession; this file only moves bytes and waits.
import Glibc
import HostSystem

public final class QMPClient {
    public let reactor: Reactor
    public let transcript: QMPTranscript
    /// Called for every event as it arrives (watchdogs listen here).
    public var onEvent: ((QMPEvent) -> Void)?
    public private(set) var events: [QMPEvent] = []

    public var greeting: QMPGreeting? { session.greeting }
    public var isReady: Bool { session.state == .ready }
    public var closedReason: QMPError? {
        if case .closed(let why) = session.state { return why }
        return nil
    }

    /// The socket (tests break it from outside); -1 before `connect` and after `close`.
    private(set) var fd: Int32
    private let framer = QMPFramer()
    private var session = QMPSession()
    private var replies: [Int: Result<JSONValue, QMPError>] = [:]
    private var eventCursor = 0
    private static let maximumEventsKept = 10_000

    /// Takes ownership of `fd`, a connected non-blocking stream socket.
    public convenience init(fd: Int32, reactor: Reactor, transcript: QMPTranscript = QMPTranscript()) {
        self.init(reactor: reactor, transcript: transcript)
        connect(fd: fd)
    }

    /// A client whose socket comes later (`connect(fd:)`); commands issued meanwhile wait.
    public init(reactor: Reactor, transcript: QMPTranscript = QMPTranscript()) {
        self.fd = -1
        self.reactor = reactor
        self.transcript = transcript
    }

    /// Takes ownership of `fd`, a connected non-blocking stream socket.
    public func connect(fd: Int32) {
        precondition(self.fd < 0, "QMPClient is already connected")
        self.fd = fd
        reactor.watchStream(fd) { [weak self] event in self?.handle(event) }
    }

    deinit { close() }

    /// Waits for the greeting and the capabilities reply.
    public func waitUntilReady(timeout: Double = 10) throws {
        let deadline = MonotonicInstant.now.adding(seconds: timeout)
        let done = try reactor.run(until: { isReady || closedReason != nil }, deadline: { deadline })
        if let closedReason { throw closedReason }
        if !done { throw QMPError.timedOut("greeting and capabilities reply", seconds: timeout) }
    }

    /// Sends a command without waiting for its reply (e.g. `quit`, whose reply may never come).
    @discardableResult
    public func send(_ command: String, arguments: JSONValue? = nil) -> Int {
        let (id, actions) = session.execute(command, arguments: arguments)
        perform(actions)
        return id
    }

    /// Runs a command and returns its `return` value. Throws `.refused` when QEMU refuses it,
    /// `.connectionClosed` when the connection drops first, `.timedOut` after `timeout` seconds.
    public func execute(_ command: String, arguments: JSONValue? = nil, timeout: Double = 10) throws -> JSONValue {
        let id = send(command, arguments: arguments)
        let deadline = MonotonicInstant.now.adding(seconds: timeout)
        try reactor.run(until: { replies[id] != nil }, deadline: { deadline })
        guard let result = replies.removeValue(forKey: id) else {
            session.abandon(id)
            throw QMPError.timedOut("reply to \(command)", seconds: timeout)
        }
        return try result.get()
    }

    /// Waits for the next event (after those already consumed by earlier waits) named `name`
    /// whose data contains `data`. Events that arrived before the call count.
    public func waitForEvent(_ name: String, data: JSONValue? = nil, timeout: Double) throws -> QMPEvent {
        let deadline = MonotonicInstant.now.adding(seconds: timeout)
        var found: QMPEvent?
        try reactor.run(
            until: {
                while eventCursor < events.count {
                    let event = events[eventCursor]
                    eventCursor += 1
                    if event.matches(name: name, data: data) {
                        found = event
                        return true
                    }
                }
                if let closedReason { throw closedReason }
                return false
            }, deadline: { deadline })
        guard let found else { throw QMPError.timedOut("\(name) event", seconds: timeout) }
        return found
    }

    /// Closes the socket; commands still waiting fail as a dropped connection.
    public func close() {
        if fd >= 0 {
            reactor.unwatch(fd)
            Glibc.close(fd)
            fd = -1
        }
        perform(session.connectionClosed("closed by the harness"))
    }

    private func handle(_ event: StreamEvent) {
        switch event {
        case .data(let bytes):
            for output in framer.feed(bytes) {
                switch output {
                case .message(_, let raw), .malformed(_, let raw): transcript.record(.received, raw)
                }
                perform(session.receive(output))
            }
        case .end(let failure):
            var why = failure.map { "\($0)" } ?? "QEMU closed the monitor socket"
            for output in framer.finish() {
                switch output {
                case .message(_, let raw):
                    transcript.record(.received, raw)
                    perform(session.receive(output))
                case .malformed(_, let raw):
                    // A message cut off by the end of the stream is a dropped connection (QEMU
                    // died mid-write), not QEMU speaking nonsense.
                    transcript.record(.received, raw)
                    why += " in the middle of a message"
                }
            }
            transcript.record(.note, why)
            perform(session.connectionClosed(why))
        }
    }

    private func perform(_ actions: [QMPSession.Action]) {
        for action in actions {
            switch action {
            case .send(let text):
                transcript.record(.sent, text)
                do {
                    try writeAll(fd, Array(text.utf8))
                } catch {
                    perform(session.connectionClosed("sending failed: \(error)"))
                }
            case .ready:
                break
            case .reply(let id, let result):
                replies[id] = result
            case .event(let event):
                if events.count < Self.maximumEventsKept { events.append(event) }
                onEvent?(event)
            }
        }
    }
}
