// A 3×5 pixel font for the few characters the screen shows (digits and the letters of "SPIN"),
// drawn scaled into an image.

enum Glyphs {
    /// Rows top to bottom, three bits each, the leftmost pixel the highest bit.
    private static func bits(_ c: UInt8) -> UInt16 {
        switch c {
        case UInt8(ascii: "0"): return 0b111_101_101_101_111
        case UInt8(ascii: "1"): return 0b010_110_010_010_111
        case UInt8(ascii: "2"): return 0b111_001_111_100_111
        case UInt8(ascii: "3"): return 0b111_001_111_001_111
        case UInt8(ascii: "4"): return 0b101_101_111_001_001
        case UInt8(ascii: "5"), UInt8(ascii: "S"): return 0b111_100_111_001_111
        case UInt8(ascii: "6"): return 0b111_100_111_101_111
        case UInt8(ascii: "7"): return 0b111_001_001_001_001
        case UInt8(ascii: "8"): return 0b111_101_111_101_111
        case UInt8(ascii: "9"): return 0b111_101_111_001_111
        case UInt8(ascii: "P"): return 0b111_101_111_100_100
        case UInt8(ascii: "I"): return 0b111_010_010_010_111
        case UInt8(ascii: "N"): return 0b111_101_101_101_101
        default: return 0
        }
    }

    /// Width in pixels of `count` characters at `scale` (one blank column between them).
    static func width(count: Int, scale: Int) -> Int { count == 0 ? 0 : (4 * count - 1) * scale }

    static func draw(_ c: UInt8, into image: TiledImage, x: Int, y: Int, scale: Int, color: UInt32) {
        let b = bits(c)
        for row in 0..<5 {
            for column in 0..<3 where b & (1 << UInt16(14 - row * 3 - column)) != 0 {
                image.fill(ScreenRect(x: x + column * scale, y: y + row * scale, width: scale, height: scale), color)
            }
        }
    }

    static func draw(_ text: StaticString, into image: TiledImage, x: Int, y: Int, scale: Int, color: UInt32) {
        for i in 0..<text.utf8CodeUnitCount {
            draw(text.utf8Start[i], into: image, x: x + i * 4 * scale, y: y, scale: scale, color: color)
        }
    }

    /// A non-negative number in decimal, `x` its left edge.
    static func draw(number: Int, into image: TiledImage, x: Int, y: Int, scale: Int, color: UInt32) {
        let count = digits(number)
        var n = number
        for i in stride(from: count - 1, through: 0, by: -1) {
            draw(UInt8(ascii: "0") + UInt8(n % 10), into: image, x: x + i * 4 * scale, y: y, scale: scale, color: color)
            n /= 10
        }
    }

    static func digits(_ number: Int) -> Int {
        var count = 1
        var n = number
        while n >= 10 {
            n /= 10
            count += 1
        }
        return count
    }
}
