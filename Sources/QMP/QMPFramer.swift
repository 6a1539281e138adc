// QMP framing: QEMU writes one JSON object after another (each followed by CRLF), and a read can
// end anywhere: mid-object, or after several objects. json-c's incremental tokener is fed every
// chunk as it arrives and says where each object ends.
import CJSONC

public final class QMPFramer {
    public enum Output: Equatable {
        /// A complete message and its text as received (for the transcript).
        case message(JSONValue, raw: String)
        /// Bytes that are not JSON. The framer skips to the next line and carries on.
        case malformed(reason: String, raw: String)
    }

    /// Larger messages are refused rather than buffered without bound.
    public static let maximumMessageBytes = 16 << 20

    private let tokener: UnsafeMutablePointer<json_tokener>
    private var pending: [UInt8] = []
    private var skippingToNewline = false

    public init() {
        tokener = json_tokener_new()!
    }

    deinit { json_tokener_free(tokener) }

    public func feed(_ bytes: [UInt8]) -> [Output] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Feeds one chunk as read from the socket and returns every message it completed.
    public func feed(_ bytes: UnsafeRawBufferPointer) -> [Output] {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) else { return [] }
        var outputs: [Output] = []
        var offset = 0
        while offset < bytes.count {
            if skippingToNewline {
                guard let newline = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else {
                    pending.append(contentsOf: bytes[offset...])
                    break
                }
                pending.append(contentsOf: bytes[offset...newline])
                outputs.append(.malformed(reason: malformedReason, raw: text(of: pending)))
                pending.removeAll(keepingCapacity: true)
                skippingToNewline = false
                offset = newline + 1
                continue
            }
            let remaining = bytes.count - offset
            let object = json_tokener_parse_ex(tokener, base + offset, Int32(remaining))
            let status = json_tokener_get_error(tokener)
            if status == json_tokener_continue {
                pending.append(contentsOf: bytes[offset...])
                if pending.count > Self.maximumMessageBytes {
                    startSkipping(reason: "message longer than \(Self.maximumMessageBytes) bytes")
                }
                break
            }
            let consumed = max(1, Int(json_tokener_get_parse_end(tokener)))
            pending.append(contentsOf: bytes[offset..<(offset + consumed)])
            offset += consumed
            if status == json_tokener_success {
                outputs.append(.message(JSONCodec.value(from: object), raw: text(of: pending)))
                json_object_put(object)
                pending.removeAll(keepingCapacity: true)
                json_tokener_reset(tokener)
            } else {
                startSkipping(reason: String(cString: json_tokener_error_desc(status)))
                // The offending byte may itself be the newline that ends the bad line.
                if pending.last == UInt8(ascii: "\n") {
                    outputs.append(.malformed(reason: malformedReason, raw: text(of: pending)))
                    pending.removeAll(keepingCapacity: true)
                    skippingToNewline = false
                }
            }
        }
        return outputs
    }

    /// The peer closed the stream. Anything but whitespace left over is a message cut short.
    public func finish() -> [Output] {
        defer {
            pending.removeAll()
            skippingToNewline = false
            json_tokener_reset(tokener)
        }
        if skippingToNewline {
            return [.malformed(reason: malformedReason, raw: text(of: pending))]
        }
        let leftover = text(of: pending)
        if leftover.isEmpty {
            // A bare number at the very end is complete only now that no digit can follow.
            return []
        }
        if let value = finishBareValue() {
            return [.message(value, raw: leftover)]
        }
        return [.malformed(reason: "connection closed in the middle of a message", raw: leftover)]
    }

    private var malformedReason = ""

    private func startSkipping(reason: String) {
        malformedReason = reason
        skippingToNewline = true
        json_tokener_reset(tokener)
    }

    private func finishBareValue() -> JSONValue? {
        // Only scalars can be complete without a closing bracket; feeding a space ends them.
        guard let first = text(of: pending).first, !"{[\"".contains(first) else { return nil }
        json_tokener_reset(tokener)
        let padded = pending + [UInt8(ascii: " ")]
        return padded.withUnsafeBytes { raw -> JSONValue? in
            let object = json_tokener_parse_ex(tokener, raw.baseAddress!.assumingMemoryBound(to: CChar.self),
                                               Int32(raw.count))
            defer { json_object_put(object) }
            guard json_tokener_get_error(tokener) == json_tokener_success else { return nil }
            return JSONCodec.value(from: object)
        }
    }

    private func text(of bytes: [UInt8]) -> String {
        var slice = bytes[...]
        while let last = slice.last, last == 0x20 || last == 0x0a || last == 0x0d || last == 0x09 {
            slice = slice.dropLast()
        }
        while let first = slice.first, first == 0x20 || first == 0x0a || first == 0x0d || first == 0x09 {
            slice = slice.dropFirst()
        }
        return String(decoding: slice, as: UTF8.self)
    }
}
