// GDB remote serial protocol framing: `$payload#cc` with a mod-256 checksum, `}` escapes
// (next byte XOR 0x20) and `*` run-length encoding in replies. Bytes in, framed units out; no
// sockets, so every edge is testable with plain arrays.

public enum GDBPacketCodec {
    /// Frames `payload` as `$...#cc`, escaping the bytes the protocol reserves (`$ # } *`).
    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(payload.count + 4)
        for byte in payload {
            if byte == UInt8(ascii: "$") || byte == UInt8(ascii: "#") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "*") {
                body.append(UInt8(ascii: "}"))
                body.append(byte ^ 0x20)
            } else {
                body.append(byte)
            }
        }
        let sum = body.reduce(UInt8(0), &+)
        return [UInt8(ascii: "$")] + body + [UInt8(ascii: "#")] + hexPair(sum)
    }

    public static func encode(_ payload: String) -> [UInt8] { encode(Array(payload.utf8)) }

    /// Undoes escapes and run-length encoding of a packet body (the bytes between `$` and `#`).
    /// `X*n` repeats X a further (n - 29) times, n being a printable byte. Nil when the payload
    /// would be longer than `limit` (run-length encoding multiplies a body up to 48 times).
    public static func decodeBody(_ body: ArraySlice<UInt8>, limit: Int = .max) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var index = body.startIndex
        while index < body.endIndex {
            let byte = body[index]
            if byte == UInt8(ascii: "}"), index + 1 < body.endIndex {
                out.append(body[index + 1] ^ 0x20)
                index += 2
            } else if byte == UInt8(ascii: "*"), index + 1 < body.endIndex, let last = out.last {
                let repeats = Int(body[index + 1]) - 29
                if repeats > 0 { out.append(contentsOf: repeatElement(last, count: repeats)) }
                index += 2
            } else {
                out.append(byte)
                index += 1
            }
            if out.count > limit { return nil }
        }
        return out
    }

    static func hexPair(_ value: UInt8) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [digits[Int(value >> 4)], digits[Int(value & 0xf)]]
    }
}

/// Splits the byte stream from the stub into acks and packets. Bytes outside a packet other than
/// `+` and `-` are ignored (the protocol allows noise between packets). A packet longer than the
/// limit (its body, or its payload once run-length decoded) is refused, not buffered.
public final class GDBPacketDecoder {
    /// Far above what QEMU sends (its replies fit the 4 KiB PacketSize it announces).
    public static let maximumPacketBytes = 64 << 10

    public enum Output: Equatable {
        case ack
        case nak
        /// A packet whose checksum matched, its payload decoded.
        case packet([UInt8])
        /// A packet whose checksum did not match: the peer must be asked to resend (`-`).
        case corrupt(raw: [UInt8])
        /// A packet longer than the limit: the stream cannot be trusted any more.
        case overlong(limit: Int)
    }

    private enum State { case idle, body, checksum1, checksum2 }
    private var state = State.idle
    private var body: [UInt8] = []
    private var checksumHigh: UInt8 = 0
    /// Set when the packet now being read passed the limit: it is dropped at its end.
    private var isOverlong = false
    public let limit: Int

    public init(maximumPacketBytes: Int = GDBPacketDecoder.maximumPacketBytes) {
        limit = maximumPacketBytes
    }

    public func feed<Bytes: Sequence>(_ bytes: Bytes) -> [Output] where Bytes.Element == UInt8 {
        var outputs: [Output] = []
        for byte in bytes {
            switch state {
            case .idle:
                if byte == UInt8(ascii: "+") {
                    outputs.append(.ack)
                } else if byte == UInt8(ascii: "-") {
                    outputs.append(.nak)
                } else if byte == UInt8(ascii: "$") {
                    body.removeAll(keepingCapacity: true)
                    isOverlong = false
                    state = .body
                }
            case .body:
                if byte == UInt8(ascii: "#") {
                    state = .checksum1
                } else if body.count < limit {
                    body.append(byte)
                } else if !isOverlong {
                    isOverlong = true
                    outputs.append(.overlong(limit: limit))
                }
            case .checksum1:
                checksumHigh = byte
                state = .checksum2
            case .checksum2:
                state = .idle
                if isOverlong { continue }
                let sum = body.reduce(UInt8(0), &+)
                if GDBPacketCodec.hexPair(sum) == [lowercased(checksumHigh), lowercased(byte)] {
                    if let payload = GDBPacketCodec.decodeBody(body[...], limit: limit) {
                        outputs.append(.packet(payload))
                    } else {
                        outputs.append(.overlong(limit: limit))
                    }
                } else {
                    outputs.append(.corrupt(raw: [UInt8(ascii: "$")] + body + [UInt8(ascii: "#"), checksumHigh, byte]))
                }
            }
        }
        return outputs
    }

    /// True while a packet has begun but not ended (a connection cut here lost a reply).
    public var isInsidePacket: Bool { state != .idle }

    private func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F")) ? byte + 32 : byte
    }
}
