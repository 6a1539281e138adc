// Screenshots out as PNG and reference images in, through libpng's simplified API (png_image):
// a real encoder (zlib-compressed, filtered rows), and a full decoder that checks every chunk's
// CRC and converts any PNG (grey, palette, 16-bit, alpha) to 8-bit RGB.
import CLibPNG

public enum PNGCodec {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The image as a PNG file's bytes.
    public static func encode(_ image: ScreenImage) throws -> [UInt8] {
        var control = png_image()
        control.version = UInt32(PNG_IMAGE_VERSION)
        control.width = UInt32(image.width)
        control.height = UInt32(image.height)
        control.format = UInt32(PNG_FORMAT_RGB)
        defer { png_image_free(&control) }
        let stride = Int32(image.width * 3)
        // First the size, then the bytes (libpng's two-call protocol).
        var size = 0
        let sized = image.pixels.withUnsafeBytes { pixels in
            png_image_write_to_memory(&control, nil, &size, 0, pixels.baseAddress, stride, nil)
        }
        guard sized != 0, size > 0 else { throw Failure(description: "libpng could not size the PNG: \(message(control))") }
        var output = [UInt8](repeating: 0, count: size)
        let written = output.withUnsafeMutableBytes { memory in
            image.pixels.withUnsafeBytes { pixels in
                png_image_write_to_memory(&control, memory.baseAddress, &size, 0, pixels.baseAddress, stride, nil)
            }
        }
        guard written != 0 else { throw Failure(description: "libpng could not write the PNG: \(message(control))") }
        return Array(output.prefix(size))
    }

    /// A PNG file's bytes as 8-bit RGB (alpha composited onto black).
    public static func decode(_ bytes: [UInt8]) throws -> ScreenImage {
        var control = png_image()
        control.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&control) }
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&control, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw Failure(description: "not a PNG libpng can read: \(message(control))") }
        let width = Int(control.width)
        let height = Int(control.height)
        guard width > 0, height > 0, width * height <= ScreenImage.maximumPixels else {
            throw Failure(description: "PNG size \(width)x\(height) is out of bounds")
        }
        control.format = UInt32(PNG_FORMAT_RGB)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&control, nil, $0.baseAddress, 0, nil) }
        guard finished != 0 else { throw Failure(description: "libpng could not read the PNG: \(message(control))") }
        return ScreenImage(width: width, height: height, pixels: pixels)!
    }

    private static func message(_ control: png_image) -> String {
        withUnsafeBytes(of: control.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
