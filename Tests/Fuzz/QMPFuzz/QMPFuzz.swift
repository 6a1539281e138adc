// libFuzzer target for QMP: bytes as QEMU might send them go through the framer (json-c's
// incremental tokener) in several chunkings, and the messages through the session state machine.
// Invariants: every chunking gives the same outputs; no message is longer than the framer's limit
// or the input; what the codec prints it reads back; the session answers only commands it issued.
import FuzzSupport
import QMP

/// Small, so inputs of a few kilobytes reach the over-long-message paths.
private let limit = 512

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQMP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzInput(data, size)
    let outputs = input.sameForEveryChunking { chunks -> [QMPFramer.Output] in
        let framer = QMPFramer(maximumMessageBytes: limit)
        return chunks.flatMap { framer.feed(Array($0)) } + framer.finish()
    }
    for output in outputs {
        switch output {
        case .message(let value, let raw):
            require(
                raw.unicodeScalars.count <= min(limit, size),
                "a message of \(raw.unicodeScalars.count) characters from \(size) bytes")
            checkRoundTrip(value)
        case .malformed(_, let raw):
            require(
                raw.unicodeScalars.count <= min(limit, size),
                "malformed text of \(raw.unicodeScalars.count) characters kept from \(size) bytes")
        }
    }
    driveSession(outputs)
    return 0
}

/// Printing a parsed value and parsing the text again gives the same value.
private func checkRoundTrip(_ value: JSONValue) {
    guard let again = JSONCodec.parse(JSONCodec.serialize(value)) else {
        require(false, "the codec cannot read what it printed: \(JSONCodec.serialize(value))")
        return
    }
    require(again == value || !value.isFinite, "round trip changed \(value) into \(again)")
}

/// The session, fed the messages with a command issued before negotiation and one after.
private func driveSession(_ outputs: [QMPFramer.Output]) {
    var session = QMPSession()
    var issued: Set<Int> = []
    var answered: Set<Int> = []
    func check(_ actions: [QMPSession.Action]) {
        for case .reply(let id, _) in actions {
            require(issued.contains(id), "a reply to command \(id), never issued")
            require(answered.insert(id).inserted, "command \(id) answered twice")
        }
    }
    let early = session.execute("query-status")
    issued.insert(early.id)
    check(early.actions)
    for (index, output) in outputs.enumerated() {
        check(session.receive(output))
        if index == outputs.count / 2 {
            let late = session.execute("stop", arguments: ["force": true])
            issued.insert(late.id)
            check(late.actions)
        }
    }
    check(session.connectionClosed("the fuzzer's input ended"))
    require(issued == answered, "commands left unanswered after the connection closed: \(issued.subtracting(answered))")
}

extension JSONValue {
    /// False when a double somewhere inside is NaN or infinite (which never equals itself in JSON).
    var isFinite: Bool {
        switch self {
        case .double(let number): return number.isFinite
        case .array(let items): return items.allSatisfy(\.isFinite)
        case .object(let members): return members.values.allSatisfy(\.isFinite)
        default: return true
        }
    }
}
