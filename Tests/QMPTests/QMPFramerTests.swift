import Testing

@testable import QMP

@Suite struct QMPFramerTests {
    private func messages(_ outputs: [QMPFramer.Output]) -> [JSONValue] {
        outputs.compactMap { if case .message(let value, _) = $0 { return value } else { return nil } }
    }

    @Test func realSessionParsedWholeGivesEveryMessage() throws {
        let bytes = try TranscriptFixture("session").qemuBytes
        let framer = QMPFramer()
        let parsed = messages(framer.feed(bytes) + framer.finish())
        // greeting, 7 replies, RESUME, STOP, RESET, SHUTDOWN, and the quit reply
        #expect(parsed.count == 13)
        #expect(parsed.first?["QMP"] != nil)
        #expect(parsed.compactMap { $0["event"]?.stringValue } == ["RESUME", "STOP", "RESET", "SHUTDOWN"])
        #expect(parsed[2]["return"]?["status"] == "prelaunch")
    }

    @Test func everySplitPointGivesTheSameMessages() throws {
        let bytes = try TranscriptFixture("session").qemuBytes
        // The oracle is not the framer: QEMU ends every message with CRLF and puts none inside one.
        let expected = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(expected.count == 13)
        func raws(_ outputs: [QMPFramer.Output]) -> [String] {
            outputs.compactMap { if case .message(_, let raw) = $0 { return raw } else { return nil } }
        }
        // Two chunks, cut at every position (including inside strings, numbers and CRLF).
        for cut in stride(from: 1, to: bytes.count, by: 1) {
            let framer = QMPFramer()
            let parsed = raws(framer.feed(Array(bytes[..<cut])) + framer.feed(Array(bytes[cut...])))
            #expect(parsed == expected, "cut at \(cut)")
            if parsed != expected { break }
        }
    }

    @Test func byteByByteGivesTheSameMessagesAndRawText() throws {
        let bytes = try TranscriptFixture("session").qemuBytes
        let framer = QMPFramer()
        var outputs: [QMPFramer.Output] = []
        for byte in bytes { outputs += framer.feed([byte]) }
        let whole = QMPFramer().feed(bytes)
        #expect(outputs == whole)
        if case .message(_, let raw) = outputs[1] { #expect(raw == #"{"return": {}, "id": 1}"#) }
    }

    @Test func malformedLineIsReportedAndTheNextMessageStillParses() {
        let framer = QMPFramer()
        let outputs = framer.feed(Array("{\"return\": tru}\r\n{\"return\": {}, \"id\": 4}\r\n".utf8))
        #expect(outputs.count == 2)
        guard case .malformed(let reason, let raw) = outputs[0] else {
            Issue.record("expected malformed, got \(outputs)")
            return
        }
        #expect(!reason.isEmpty)
        #expect(raw.hasPrefix("{\"return\": tru"))
        #expect(messages([outputs[1]]) == [["return": [:], "id": 4]])
    }

    @Test func endOfStreamMidMessageIsMalformed() {
        let framer = QMPFramer()
        #expect(framer.feed(Array("{\"event\": \"STOP\", \"timest".utf8)).isEmpty)
        let end = framer.finish()
        guard case .malformed(let reason, _)? = end.first else {
            Issue.record("expected malformed, got \(end)")
            return
        }
        #expect(reason.contains("middle of a message"))
    }

    @Test func whitespaceAtEndOfStreamIsNothing() {
        let framer = QMPFramer()
        #expect(messages(framer.feed(Array("{\"a\": 1}\r\n".utf8))) == [["a": 1]])
        #expect(framer.finish().isEmpty)
    }

    @Test func serializationEscapesAndRoundTrips() {
        let value: JSONValue = ["command-line": "info registers \"x\"\n\u{1}", "cpu-index": 2, "list": [true, .null, 1.5]]
        let text = JSONCodec.serialize(value)
        #expect(!text.contains("\n"))
        #expect(text.contains("\\u0001"))
        #expect(JSONCodec.parse(text) == value)
    }

    @Test func subsetMatchingForEventData() {
        let data: JSONValue = ["guest": true, "reason": "guest-reset"]
        #expect(data.contains(["reason": "guest-reset"]))
        #expect(!data.contains(["reason": "guest-shutdown"]))
        #expect(!data.contains(["missing": 1]))
        #expect(JSONValue.int(3).contains(.double(3)))
    }
}
