// The acknowledged half of the GDB remote protocol as a state machine: requests and decoded
// input go in, actions come out (bytes to write, packets for the client). QEMU 7.2 has no
// no-ack mode, so every packet is acked both ways and a `-` makes the sender repeat itself.

public struct GDBSession {
    public enum Action: Equatable {
        /// Write these bytes to the stub.
        case send([UInt8])
        /// A packet from the stub (a reply or an asynchronous stop reply), already acked.
        case packet([UInt8])
        /// The stub refused our packet too often: the connection is not usable.
        case failed(String)
    }

    /// Our last packet, kept until the stub acks it, for resending on `-`.
    private var unacknowledged: [UInt8]?
    private var resends = 0
    public static let maximumResends = 3
    public private(set) var isFailed = false

    public init() {}

    /// Sends one packet with `payload`.
    public mutating func request(_ payload: String) -> [Action] {
        guard !isFailed else { return [.failed("the connection already failed")] }
        let bytes = GDBPacketCodec.encode(payload)
        unacknowledged = bytes
        resends = 0
        return [.send(bytes)]
    }

    /// The raw 0x03 byte (not a packet, never acked): stops a running target, which answers
    /// with a stop reply.
    public func interrupt() -> [Action] { [.send([0x03])] }

    public mutating func receive(_ input: GDBPacketDecoder.Output) -> [Action] {
        switch input {
        case .ack:
            unacknowledged = nil
            return []
        case .nak:
            guard let unacknowledged else { return [] }
            resends += 1
            if resends > Self.maximumResends {
                isFailed = true
                return [.failed("the stub refused a packet \(resends) times")]
            }
            return [.send(unacknowledged)]
        case .packet(let payload):
            return [.send([UInt8(ascii: "+")]), .packet(payload)]
        case .corrupt:
            return [.send([UInt8(ascii: "-")])]
        case .overlong(let limit):
            isFailed = true
            return [.failed("the stub sent a packet longer than \(limit) bytes")]
        }
    }
}
