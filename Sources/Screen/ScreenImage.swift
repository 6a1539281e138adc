// A picture of the guest's screen: 8-bit RGB pixels, row after row, as QEMU's screendump
// writes them and as PNG files hold them.
import Glibc

public struct ScreenImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// Three bytes (red, green, blue) per pixel, `width` pixels per row, `height` rows.
    public let pixels: [UInt8]

    /// The largest picture accepted from QEMU or a reference file (QEMU's VGA tops out at
    /// 16384 x 16384 at far fewer bytes; this bounds what a file can make the harness allocate).
    public static let maximumPixels = 8192 * 8192

    public init?(width: Int, height: Int, pixels: [UInt8]) {
        guard width > 0, height > 0, width * height <= Self.maximumPixels, pixels.count == width * height * 3 else {
            return nil
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Same size, same bytes: one memcmp (the display watch compares every screenshot with the
    /// one before, 900 KiB at 640x480, and an element-wise comparison is slow in a debug build).
    public static func == (a: ScreenImage, b: ScreenImage) -> Bool {
        guard a.width == b.width, a.height == b.height else { return false }
        return a.pixels.withUnsafeBytes { first in
            b.pixels.withUnsafeBytes { second in memcmp(first.baseAddress!, second.baseAddress!, first.count) == 0 }
        }
    }

    /// The whole picture as a region.
    public var bounds: ScreenRegion { ScreenRegion(x: 0, y: 0, width: width, height: height) }

    /// The pixel at `x`, `y` as (red, green, blue).
    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let offset = (y * width + x) * 3
        return (pixels[offset], pixels[offset + 1], pixels[offset + 2])
    }
}

/// A rectangle of the screen, in pixels from the top left corner.
public struct ScreenRegion: Equatable, Sendable, CustomStringConvertible {
    public let x: Int
    public let y: Int
    public let width: Int
    public let height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// `X,Y WxH`, as scenarios write it and failures name it.
    public var description: String { "\(x),\(y) \(width)x\(height)" }

    /// Parses `X,Y WxH` (non-negative X and Y, positive W and H); nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        let origin = parts[0].split(separator: ",", omittingEmptySubsequences: false)
        let size = parts[1].split(separator: "x", omittingEmptySubsequences: false)
        guard origin.count == 2, size.count == 2,
            let x = Self.number(origin[0]), let y = Self.number(origin[1]),
            let width = Self.number(size[0]), let height = Self.number(size[1]), width > 0, height > 0
        else { return nil }
        self.init(x: x, y: y, width: width, height: height)
    }

    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// The region lies inside a picture of `width` x `height`.
    public func fits(width: Int, height: Int) -> Bool {
        x + self.width <= width && y + self.height <= height
    }
}
