// A runaway QMP conversation keeps the transcript's head and tail, never all of it.
import Testing

@testable import QMP

@Suite struct QMPTranscriptLimitTests {
    @Test func keepsHeadAndTailAndCountsTheGap() {
        let transcript = QMPTranscript()
        let message =
            "{\"event\": \"RTC_CHANGE\", \"data\": {\"offset\": 0}, \"padding\": \"\(String(repeating: "x", count: 1000))\"}"
        for _ in 0..<10_000 { transcript.record(.received, message) }
        transcript.record(.sent, String(repeating: "y", count: 1 << 20))
        transcript.record(.note, "the last word")
        // Fed: 10,000 messages of 1,055 bytes (10.5 MB) and one of 1 MiB. Kept: the head up to
        // its 2 MiB, then the last 200 messages: 198 small ones, the big one cut to 64 KiB, the note.
        let fed = 10_000 * message.utf8.count + (1 << 20) + 13
        let kept = transcript.entries.map(\.text.utf8.count).reduce(0, +)
        let headMessages = QMPTranscript.headBytes / message.utf8.count
        #expect(transcript.head.count == headMessages)
        #expect(
            kept == headMessages * message.utf8.count + 198 * message.utf8.count
                + QMPTranscript.maximumEntryBytes + " [... cut at 65536 of 1048576 bytes]".utf8.count + 13)
        #expect(kept < fed / 4)
        #expect(transcript.droppedEntries == 10_002 - headMessages - QMPTranscript.tailEntries)
        #expect(transcript.droppedBytes == transcript.droppedEntries * message.utf8.count)
        let text = transcript.text
        #expect(text.contains("messages (\(transcript.droppedBytes) bytes) left out"))
        #expect(text.hasSuffix("-- the last word\n"))
        #expect(text.contains("[... cut at 65536 of 1048576 bytes]"))
    }
}
