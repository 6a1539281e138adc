// A GDB remote client over a connected socket, driven by the VM's reactor: framing and acks
// live in GDBPacketDecoder and GDBSession; this file moves bytes, waits for replies and turns
// them into typed values. One request at a time, as the protocol itself works.
// Note: QEMU's gdbstub stops the VM as soon as a debugger connects.
import Glibc
import HostSystem

public final class GDBClient {
    public let reactor: Reactor
    /// Every packet both ways with its time (for a run's artifacts), capped.
    public private(set) var transcript: [String] = []
    private static let transcriptKept = 4000
    private let start = MonotonicInstant.now

    private var fd: Int32
    private let decoder = GDBPacketDecoder()
    private var session = GDBSession()
    private var inbox: [[UInt8]] = []
    /// Stop replies that arrived while an ordinary reply was awaited. QEMU sends one unasked
    /// when it stops the machine for a connecting debugger, ahead of the first reply.
    private var stops: [String] = []
    private var closedReason: String?
    /// Largest payload the stub accepts (from qSupported PacketSize).
    public private(set) var packetSize = GDBFeatures.defaultPacketSize
    /// The features the stub listed in its qSupported reply.
    public private(set) var features: [String] = []
    public var defaultTimeout = 5.0
    private var hasReadTargetDescription = false

    /// Takes ownership of `fd`, a connected non-blocking stream socket, and negotiates
    /// `qSupported:multiprocess+` so thread ids are `pPID.TID`.
    public init(fd: Int32, reactor: Reactor, timeout: Double = 5) throws {
        self.fd = fd
        self.reactor = reactor
        reactor.watchStream(fd) { [weak self] event in self?.handle(event) }
        let reply = try request("qSupported:multiprocess+;swbreak+;hwbreak+", timeout: timeout)
        let supported = GDBFeatures(qSupportedReply: reply)
        features = supported.names
        packetSize = supported.packetSize
    }

    /// Connects to the gdbstub's UNIX socket at `path`.
    public convenience init(socketPath path: String, reactor: Reactor, timeout: Double = 5) throws {
        try self.init(fd: UnixSocket.connect(to: path), reactor: reactor, timeout: timeout)
    }

    deinit { close() }

    public func close() {
        guard fd >= 0 else { return }
        reactor.unwatch(fd)
        Glibc.close(fd)
        fd = -1
        if closedReason == nil { closedReason = "closed by the harness" }
    }

    // MARK: requests

    /// Sends `payload` and returns the reply's text. An `Exx` reply throws `.refused`, an empty
    /// one (the stub does not know the request) `.unsupported`.
    @discardableResult
    public func request(_ payload: String, timeout: Double? = nil) throws -> String {
        try send(payload)
        let expectsStop = payload == "?"
        if expectsStop { stops.removeAll() }
        var reply = try nextPacket(timeout: timeout ?? defaultTimeout, what: "reply to \(payload.prefix(40))")
        while !expectsStop, StopReply(reply) != nil {
            stops.append(reply)
            reply = try nextPacket(timeout: timeout ?? defaultTimeout, what: "reply to \(payload.prefix(40))")
        }
        if reply.isEmpty { throw GDBError.unsupported(request: String(payload.prefix(40))) }
        if reply.count == 3, reply.hasPrefix("E"), reply.dropFirst().allSatisfy(\.isHexDigit) {
            throw GDBError.refused(request: String(payload.prefix(40)), reply: reply)
        }
        return reply
    }

    /// Why the target is stopped (`?`).
    public func stopReason() throws -> StopReply {
        let reply = try request("?")
        guard let stop = StopReply(reply) else { throw GDBError.malformedReply(request: "?", reply: reply) }
        return stop
    }

    /// Stops a running target with the raw 0x03 byte and returns its stop reply.
    public func interrupt(timeout: Double? = nil) throws -> StopReply {
        perform(session.interrupt())
        return try waitForStop(timeout: timeout ?? defaultTimeout)
    }

    /// Resumes every vCPU (`c`); the stop reply comes later, through `waitForStop`.
    public func resume() throws { try send("c") }

    /// Waits for the stop reply of a running target (a breakpoint, or an interrupt).
    public func waitForStop(timeout: Double) throws -> StopReply {
        let reply = stops.isEmpty ? try nextPacket(timeout: timeout, what: "stop reply") : stops.removeFirst()
        guard let stop = StopReply(reply) else { throw GDBError.malformedReply(request: "stop", reply: reply) }
        return stop
    }

    /// Executes one instruction on the selected vCPU (`s`).
    public func step(timeout: Double? = nil) throws -> StopReply {
        try send("s")
        return try waitForStop(timeout: timeout ?? defaultTimeout)
    }

    /// Every vCPU, from `qfThreadInfo` / `qsThreadInfo`.
    public func threads() throws -> [GDBThreadID] {
        var ids: [GDBThreadID] = []
        var reply = try request("qfThreadInfo")
        while reply.hasPrefix("m") {
            for text in reply.dropFirst().split(separator: ",") {
                guard let id = GDBThreadID(text) else { throw GDBError.malformedReply(request: "qfThreadInfo", reply: reply) }
                ids.append(id)
            }
            reply = try request("qsThreadInfo")
        }
        return ids
    }

    /// QEMU's words for a vCPU, e.g. `CPU#1 [halted ]`.
    public func extraInfo(_ thread: GDBThreadID) throws -> String {
        let reply = try request("qThreadExtraInfo,\(thread)")
        guard let bytes = Hex.decode(reply) else { throw GDBError.malformedReply(request: "qThreadExtraInfo", reply: reply) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Selects the vCPU that `g`, `p`, `m`, `M` and `s` act on.
    public func select(_ thread: GDBThreadID) throws {
        try request("Hg\(thread)")
    }

    public func registers() throws -> X86Registers {
        let reply = try request("g")
        guard let bytes = Hex.decode(reply), let registers = X86Registers(gReply: bytes) else {
            throw GDBError.malformedReply(request: "g", reply: reply)
        }
        return registers
    }

    /// One register by gdb number (`X86Registers.number`), little-endian.
    public func register(_ number: Int) throws -> UInt64 {
        // QEMU 7.2 answers `p` only after the client has read the target description
        // (gdb_has_xml); `g` works either way.
        if !hasReadTargetDescription {
            _ = try request("qXfer:features:read:target.xml:0,\(String(packetSize - 16, radix: 16))")
            hasReadTargetDescription = true
        }
        let reply = try request("p\(String(number, radix: 16))")
        guard let bytes = Hex.decode(reply), !bytes.isEmpty else { throw GDBError.malformedReply(request: "p", reply: reply) }
        return littleEndian(bytes, 0, min(bytes.count, 8))
    }

    /// Reads guest virtual memory through the selected vCPU's page tables.
    public func readMemory(_ address: UInt64, count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        // A reply carries two hex digits per byte plus framing, within PacketSize.
        let chunk = max(16, (packetSize - 8) / 2)
        while out.count < count {
            let length = min(chunk, count - out.count)
            let at = address &+ UInt64(out.count)
            let reply = try request("m\(String(at, radix: 16)),\(String(length, radix: 16))")
            guard let bytes = Hex.decode(reply), !bytes.isEmpty else { throw GDBError.malformedReply(request: "m", reply: reply) }
            out += bytes
        }
        return out
    }

    public func readUInt64(_ address: UInt64) throws -> UInt64 {
        littleEndian(try readMemory(address, count: 8), 0, 8)
    }

    public func writeMemory(_ address: UInt64, _ bytes: [UInt8]) throws {
        try request("M\(String(address, radix: 16)),\(String(bytes.count, radix: 16)):\(Hex.encode(bytes))")
    }

    public enum BreakpointKind: Int { case software = 0, hardware = 1 }

    public func insertBreakpoint(_ kind: BreakpointKind, at address: UInt64) throws {
        try request("Z\(kind.rawValue),\(String(address, radix: 16)),1")
    }

    public func removeBreakpoint(_ kind: BreakpointKind, at address: UInt64) throws {
        try request("z\(kind.rawValue),\(String(address, radix: 16)),1")
    }

    // MARK: I/O

    private func send(_ payload: String) throws {
        if let closedReason { throw GDBError.connectionClosed(closedReason) }
        note("->", payload)
        perform(session.request(payload))
        if let closedReason { throw GDBError.connectionClosed(closedReason) }
    }

    private func nextPacket(timeout: Double, what: String) throws -> String {
        let deadline = MonotonicInstant.now.adding(seconds: timeout)
        try reactor.run(until: { !inbox.isEmpty || closedReason != nil }, deadline: { deadline })
        guard !inbox.isEmpty else {
            if let closedReason { throw GDBError.connectionClosed(closedReason) }
            throw GDBError.timedOut(what, seconds: timeout)
        }
        return String(decoding: inbox.removeFirst(), as: UTF8.self)
    }

    private func handle(_ event: StreamEvent) {
        switch event {
        case .data(let bytes):
            for output in decoder.feed(bytes) { perform(session.receive(output)) }
        case .end(let failure):
            fd = -1
            closedReason = failure.map { "\($0)" } ?? "QEMU closed the gdbstub socket"
        }
    }

    private func perform(_ actions: [GDBSession.Action]) {
        for action in actions {
            switch action {
            case .send(let bytes):
                if bytes == [0x03] { note("->", "^C") }
                guard fd >= 0 else { continue }
                do { try writeAll(fd, bytes) } catch { closedReason = "sending failed: \(error)" }
            case .packet(let payload):
                note("<-", String(decoding: payload, as: UTF8.self))
                inbox.append(payload)
            case .failed(let why):
                closedReason = why
            }
        }
    }

    private func note(_ direction: String, _ text: String) {
        guard transcript.count < Self.transcriptKept else { return }
        let seconds = MonotonicInstant.now.seconds(since: start)
        let shown = text.count > 300 ? text.prefix(300) + "...(\(text.count) chars)" : Substring(text)
        transcript.append("\(formatSeconds(seconds)) \(direction) \(shown)")
    }
}

private func formatSeconds(_ value: Double) -> String {
    let millis = Int((value * 1000).rounded())
    let fraction = String(millis % 1000)
    return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}
