import Testing

@testable import QMP

/// Inputs the QMP fuzz target (Tests/Fuzz/QMPFuzz) found, cut down: each gave different messages
/// depending on how the stream was cut, or kept more than the framer's limit.
@Suite struct QMPFramerFuzzFindingsTests {
    /// Outputs when `text` arrives whole, one byte at a time, and in two halves.
    private func outputsByCut(_ text: String, limit: Int = QMPFramer.maximumMessageBytes) -> [[QMPFramer.Output]] {
        let bytes = Array(text.utf8)
        let whole = QMPFramer(maximumMessageBytes: limit)
        let byByte = QMPFramer(maximumMessageBytes: limit)
        let halves = QMPFramer(maximumMessageBytes: limit)
        return [
            whole.feed(bytes) + whole.finish(),
            bytes.flatMap { byByte.feed([$0]) } + byByte.finish(),
            halves.feed(Array(bytes[..<(bytes.count / 2)])) + halves.feed(Array(bytes[(bytes.count / 2)...])) + halves.finish(),
        ]
    }

    private func kinds(_ outputs: [QMPFramer.Output]) -> [String] {
        outputs.map { output in
            switch output {
            case .message(let value, _): return "message \(value)"
            case .malformed: return "malformed"
            }
        }
    }

    @Test func anUnclosedObjectDoesNotSwallowTheNextLine() {
        // Byte by byte, the `{` that json-c refused was counted as part of the bad line, and
        // the reply on that line was skipped with it.
        let text = "{\"timestamp\": {\"seconds\": 1795547892}\r\n{\"return\": {}, \"id\": 8}\r\n"
        for outputs in outputsByCut(text) {
            #expect(kinds(outputs) == ["malformed", "message {\"id\":8,\"return\":{}}"])
        }
    }

    @Test func aNumberWithAMinusInsideReadsTheSameHoweverItIsCut() {
        // json-c took `179554-7892` as 179554 when it came in one read and refused it when it
        // came byte by byte. (Read strictly and byte by byte it is 179554 however it arrives:
        // json-c's own leniency, which QEMU never tests.)
        let text = "{\"seconds\": 179554-7892}\r\n{\"return\": {}, \"id\": 1}\r\n"
        let cuts = outputsByCut(text)
        for outputs in cuts.dropFirst() { #expect(outputs == cuts[0]) }
        #expect(kinds(cuts[0]).last == "message {\"id\":1,\"return\":{}}")
    }

    @Test func aCommentAfterAMessageIsNotJSON() {
        // json-c read `/d` after a value as a broken comment when it came in the same read
        // (refusing the message before it), and as a new line when it came later.
        for outputs in outputsByCut("{\"return\": {}, \"id\": 2}/d\r\n") {
            #expect(kinds(outputs) == ["message {\"id\":2,\"return\":{}}", "malformed"])
        }
    }

    @Test func anOverlongMessageIsRefusedHoweverItIsCut() {
        let text = "{\"return\": \"" + String(repeating: "a", count: 100) + "\", \"id\": 3}\r\n{\"return\": {}, \"id\": 4}\r\n"
        for outputs in outputsByCut(text, limit: 64) {
            #expect(kinds(outputs) == ["malformed", "message {\"id\":4,\"return\":{}}"])
            if case .malformed(let reason, _)? = outputs.first { #expect(reason == "message longer than 64 bytes") }
        }
    }

    @Test func junkWithoutANewlineIsKeptOnlyUpToTheLimit() {
        for outputs in outputsByCut("x" + String(repeating: "y", count: 1000), limit: 64) {
            guard case .malformed(_, let raw)? = outputs.first, outputs.count == 1 else {
                Issue.record("expected one malformed output, got \(outputs)")
                continue
            }
            #expect(raw.utf8.count <= 64)
        }
    }
}
