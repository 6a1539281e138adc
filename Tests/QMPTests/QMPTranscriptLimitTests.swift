// A runaway QMP conversation keeps the transcript's head and tail, never all of it.
import Testing
@testable import QMP

@Suite struct QMPTranscriptLimitTests {
    @Test func keepsHeadAndTailAndCountsTheGap() {
        let transcript = QMPTranscript()
        let message = "{\"event\": \"RTC_CHANGE\", \"data\": {\"offset\": 0}, \"padding\": \"\(String(repeating: "x", count: 1000))\"}"
        for _ in 0..<10_000 { transcript.record(.received, message) }
        transcript.record(.sent, String(repeating: "y", count: 1 << 20))
        transcript.record(.note, "the last word")
        let kept = transcript.entries.map(\.text.utf8.count).reduce(0, +)
        #expect(kept <= QMPTranscript.headBytes + QMPTranscript.tailEntries * (QMPTranscript.maximumEntryBytes + 100))
        #expect(transcript.droppedEntries > 0)
        let text = transcript.text
        #expect(text.contains("messages (\(transcript.droppedBytes) bytes) left out"))
        #expect(text.hasSuffix("-- the last word\n"))
        #expect(text.contains("[... cut at 65536 of 1048576 bytes]"))
    }
}
