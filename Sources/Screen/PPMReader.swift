// QEMU's screendump output: binary PPM (P6), 8 bits per channel. The header is
// "P6\n<width> <height>\n255\n" in QEMU 7.2, but any whitespace and comments the format allows
// are accepted.

public enum PPMReader {
    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
    }

    public static func image(_ bytes: [UInt8]) throws -> ScreenImage {
        var index = 0
        func skipSpaceAndComments() {
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "#") {
                    while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
                } else if [9, 10, 13, 32].contains(bytes[index]) {
                    index += 1
                } else {
                    return
                }
            }
        }
        func number(_ what: String) throws -> Int {
            skipSpaceAndComments()
            var value = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                digits += 1
                index += 1
                if digits > 6 { throw Malformed(description: "PPM \(what) has more than 6 digits") }
            }
            if digits == 0 { throw Malformed(description: "PPM header has no \(what)") }
            return value
        }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "6") else {
            throw Malformed(description: "not a binary PPM (P6) file")
        }
        index = 2
        let width = try number("width")
        let height = try number("height")
        let maximum = try number("maximum value")
        guard maximum == 255 else { throw Malformed(description: "PPM maximum value \(maximum), only 255 is read") }
        // Exactly one whitespace byte ends the header.
        guard index < bytes.count, [9, 10, 13, 32].contains(bytes[index]) else {
            throw Malformed(description: "PPM header does not end in whitespace")
        }
        index += 1
        guard width > 0, height > 0, width * height <= ScreenImage.maximumPixels else {
            throw Malformed(description: "PPM size \(width)x\(height) is out of bounds")
        }
        let length = width * height * 3
        guard bytes.count - index >= length else {
            throw Malformed(description: "PPM of \(width)x\(height) holds \(bytes.count - index) bytes of pixels, not \(length)")
        }
        return ScreenImage(width: width, height: height, pixels: Array(bytes[index..<index + length]))!
    }
}
