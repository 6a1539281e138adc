// Text made safe for HTML: what a guest printed reaches the page as text, never as markup. The
// markup characters become entities; NUL, the other control characters (tab, newline and
// carriage return excepted), DEL, the C1 controls and the noncharacters U+FFFE/U+FFFF become a
// visible `\xNN`; bytes that are not UTF-8 (0xff, a cut sequence) become U+FFFD.

public enum HTMLText {
    /// `text` escaped for an element's content or a quoted attribute value.
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            case "\r": out += "\\r"
            default:
                if isVisible(scalar) {
                    out.unicodeScalars.append(scalar)
                } else {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += (scalar.value > 0xFF ? "\\u" : "\\x") + String(repeating: "0", count: max(0, 2 - hex.count)) + hex
                }
            }
        }
        return out
    }

    /// Raw bytes (a log as the guest wrote it) escaped: invalid UTF-8 becomes U+FFFD first.
    public static func escaped(bytes: some Sequence<UInt8>) -> String { escaped(String(decoding: Array(bytes), as: UTF8.self)) }

    /// Not a control character or a noncharacter HTML forbids.
    static func isVisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0xFFFE, 0xFFFF: return false
        default: return true
        }
    }
}
