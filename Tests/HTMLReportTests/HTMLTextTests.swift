// Guest text is hostile: whatever bytes a guest printed, the escaped text holds no markup, no
// control character and no invalid UTF-8, and reads back as what was printed.
import Testing

@testable import HTMLReport

@Suite struct HTMLTextTests {
    @Test func markupBecomesEntities() {
        #expect(
            HTMLText.escaped("<script>alert(1)</script></pre><img src=x onerror='a()'>&amp;\"")
                == "&lt;script&gt;alert(1)&lt;/script&gt;&lt;/pre&gt;&lt;img src=x onerror=&#39;a()&#39;&gt;&amp;amp;&quot;")
    }

    @Test func controlCharactersBecomeVisibleEscapes() {
        #expect(HTMLText.escaped("a\u{0}b\u{1b}[31mc\u{7f}\u{85}\r\td\n") == "a\\x00b\\x1B[31mc\\x7F\\x85\\r\td\n")
        #expect(HTMLText.escaped("\u{FFFE}\u{FFFF}") == "\\uFFFE\\uFFFF")
    }

    @Test func invalidUTF8BecomesReplacementCharacters() {
        // 0xff, a lone continuation byte, a cut 3-byte sequence, an encoded surrogate, then NUL.
        let bytes: [UInt8] = [0x3C, 0xFF, 0x80, 0xE2, 0x82, 0x3E, 0xED, 0xA0, 0x80, 0x00, 0x41]
        let escaped = HTMLText.escaped(bytes: bytes)
        #expect(escaped.hasPrefix("&lt;\u{FFFD}\u{FFFD}\u{FFFD}&gt;"))
        #expect(escaped.hasSuffix("\\x00A"))
        #expect(!escaped.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" })
    }

    /// Every byte value, alone and after a lead byte: nothing that opens markup or is a control
    /// character survives.
    @Test func noByteSequenceLeavesMarkupOrControls() {
        for first in UInt8.min...UInt8.max {
            for second: UInt8 in [0x00, 0x3C, 0x80, 0xBF, 0xFF] {
                let escaped = HTMLText.escaped(bytes: [first, second, 0x3C, 0x2F])
                #expect(!escaped.contains("<") && !escaped.contains(">") && !escaped.contains("\""))
                #expect(!escaped.unicodeScalars.contains { !HTMLText.isVisible($0) && $0 != "\n" && $0 != "\t" })
            }
        }
    }
}
