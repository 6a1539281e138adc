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
    /// This framer's limit (smaller ones let tests and the fuzzer reach it).
    public let limit: Int

    private let tokener: UnsafeMutablePointer<json_tokener>
    private var pending: [UInt8] = []
    private var skippingToNewline = false

    public init(maximumMessageBytes: Int = QMPFramer.maximumMessageBytes) {
        limit = maximumMessageBytes
        tokener = json_tokener_new()!
        // Strict JSON, as QEMU writes it (no comments, NaN or raw control characters), and a
        // value ends where its text ends.
        json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS)
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
                    keep(bytes[offset...])
                    break
                }
                keep(bytes[offset...newline])
                outputs.append(.malformed(reason: malformedReason, raw: text(of: pending)))
                pending.removeAll(keepingCapacity: true)
                skippingToNewline = false
                offset = newline + 1
                continue
            }
            // One byte at a time: json-c reads some malformed text (numbers such as `1-2`, or
            // a value followed by a comment) differently depending on where its input ends, so
            // only a fixed cut gives the same messages however the stream arrived.
            let object = json_tokener_parse_ex(tokener, base + offset, 1)
            let status = json_tokener_get_error(tokener)
            if status == json_tokener_continue {
                pending.append(bytes[offset])
                offset += 1
                if pending.count > limit {
                    startSkipping(reason: "message longer than \(limit) bytes")
                }
                continue
            }
            // json-c stops before the byte it refuses, so an error consumes nothing.
            let consumed = Int(json_tokener_get_parse_end(tokener))
            pending.append(contentsOf: bytes[offset..<(offset + consumed)])
            offset += consumed
            if status == json_tokener_success {
                outputs.append(.message(JSONCodec.value(from: object), raw: text(of: pending)))
                json_object_put(object)
                pending.removeAll(keepingCapacity: true)
                json_tokener_reset(tokener)
            } else if pending.last == UInt8(ascii: "\n"), !text(of: pending).isEmpty {
                // The bad message's line had ended: report it, and parse on from the refused
                // byte, which begins the next line.
                outputs.append(.malformed(reason: String(cString: json_tokener_error_desc(status)), raw: text(of: pending)))
                pending.removeAll(keepingCapacity: true)
                json_tokener_reset(tokener)
            } else {
                // Skip to the end of the refused byte's line (the byte may itself end it).
                startSkipping(reason: String(cString: json_tokener_error_desc(status)))
            }
        }
        return outputs
    }

    /// Keeps skipped text for the report, up to the limit; the rest is dropped.
    private func keep(_ bytes: Slice<UnsafeRawBufferPointer>) {
        pending.append(contentsOf: bytes.prefix(max(0, limit - pending.count)))
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
        if pending.count > limit { pending.removeLast(pending.count - limit) }
        skippingToNewline = true
        json_tokener_reset(tokener)
    }

    private func finishBareValue() -> JSONValue? {
        // Only scalars can be complete without a closing bracket; feeding a space ends them.
        guard let first = text(of: pending).first, !"{[\"".contains(first) else { return nil }
        json_tokener_reset(tokener)
        let padded = pending + [UInt8(ascii: " ")]
        return padded.withUnsafeBytes { raw -> JSONValue? in
            let object = json_tokener_parse_ex(
                tokener, raw.baseAddress!.assumingMemoryBound(to: CChar.self),
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
