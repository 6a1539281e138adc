// Pictures of the screen: QEMU's PPM read, PNG written and read back through libpng, regions
// compared with their figures.
import Testing

@testable import Screen

@Suite struct ScreenTests {
    /// A `width` x `height` picture whose pixel at x, y is `colour(x, y)`.
    static func picture(_ width: Int, _ height: Int, _ colour: (Int, Int) -> (UInt8, UInt8, UInt8)) -> ScreenImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = colour(x, y)
                pixels += [r, g, b]
            }
        }
        return ScreenImage(width: width, height: height, pixels: pixels)!
    }

    @Test func ppmAsQEMUWritesItAndWithComments() throws {
        let body: [UInt8] = [1, 2, 3, 4, 5, 6]
        let image = try PPMReader.image(Array("P6\n2 1\n255\n".utf8) + body)
        #expect(image.width == 2 && image.height == 1 && image.pixels == body)
        let commented = try PPMReader.image(Array("P6 # QEMU\n2\t1 # size\n255\n".utf8) + body)
        #expect(commented == image)
    }

    @Test(arguments: [
        ("P5\n2 1\n255\n", "not a binary PPM"),
        ("P6\n2 1\n65535\n", "only 255"),
        ("P6\n2\n", "no height"),
        ("P6\n0 1\n255\n", "out of bounds"),
        ("P6\n99999 99999\n255\n", "out of bounds"),
        ("P6\n2 2\n255\n", "holds 6 bytes of pixels, not 12"),
        ("P6\n1234567 1\n255\n", "more than 6 digits"),
    ])
    func malformedPPMIsRefused(header: String, reason: String) {
        do {
            _ = try PPMReader.image(Array(header.utf8) + [1, 2, 3, 4, 5, 6])
            Issue.record("accepted \(header)")
        } catch {
            #expect("\(error)".contains(reason), "\(error)")
        }
    }

    @Test func pngRoundTripsThroughLibpngAndIsCompressed() throws {
        let image = Self.picture(640, 480) { x, y in
            x < 64 && y < 64 ? (0xd0, 0x20, 0x20) : (UInt8(x & 0xff), UInt8(y & 0xff), 0x50)
        }
        let png = try PNGCodec.encode(image)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "the PNG signature")
        #expect(png.count < image.pixels.count / 10, "deflated: \(png.count) bytes for \(image.pixels.count)")
        #expect(try PNGCodec.decode(png) == image)
    }

    @Test func damagedPNGIsRefusedByItsChecksums() throws {
        var png = try PNGCodec.encode(Self.picture(16, 16) { x, y in (UInt8(x), UInt8(y), 0) })
        png[png.count / 2] ^= 0xff
        #expect(throws: PNGCodec.Failure.self) { try PNGCodec.decode(png) }
        #expect(throws: PNGCodec.Failure.self) { try PNGCodec.decode(Array("not a png".utf8)) }
    }

    @Test func picturesAreEqualWhenTheirSizeAndEveryByteAre() {
        let one = Self.picture(4, 2) { x, y in (UInt8(x), UInt8(y), 7) }
        #expect(one == Self.picture(4, 2) { x, y in (UInt8(x), UInt8(y), 7) })
        #expect(one != Self.picture(4, 2) { x, y in x == 3 && y == 1 ? (3, 1, 8) : (UInt8(x), UInt8(y), 7) })
        #expect(one != ScreenImage(width: 2, height: 4, pixels: one.pixels)!)
    }

    @Test func regionsAreParsedAsScenariosWriteThem() {
        #expect(ScreenRegion(parsing: "0,96 640x384") == ScreenRegion(x: 0, y: 96, width: 640, height: 384))
        #expect(ScreenRegion(x: 3, y: 4, width: 5, height: 6).description == "3,4 5x6")
        for bad in ["", "0,0", "0,0 64", "-1,0 4x4", "0,0 0x4", "0, 0 4x4", "0,0 4x4 x", "a,b cxd", "0,0 999999x1"] {
            #expect(ScreenRegion(parsing: bad) == nil, "\(bad)")
        }
        #expect(ScreenRegion(parsing: "600,0 64x64")!.fits(width: 640, height: 480) == false)
    }

    @Test func differenceCountsPixelsBeyondTheChannelTolerance() throws {
        let base = Self.picture(64, 64) { _, _ in (100, 100, 100) }
        // 512 of 4096 pixels (rows 0-7) off by 10 in green, one pixel off by 56 in blue.
        let other = Self.picture(64, 64) { x, y in
            if x == 63 && y == 63 { return (100, 100, 44) }
            return y < 8 ? (100, 110, 100) : (100, 100, 100)
        }
        let region = base.bounds
        let strict = try #require(RegionComparison.difference(base, other, region: region, channelTolerance: 8))
        #expect(strict.differing == 513 && strict.pixels == 4096 && strict.largest == 56)
        #expect(strict.summary == "12.5 % of pixels differ by more than 8")
        let lenient = try #require(RegionComparison.difference(base, other, region: region, channelTolerance: 10))
        #expect(lenient.differing == 1)
        #expect(lenient.summary == "0.02 % of pixels differ by more than 10")
        // Only the untouched rows: nothing differs.
        let lower = try #require(
            RegionComparison.difference(
                base, other, region: ScreenRegion(x: 0, y: 8, width: 63, height: 56), channelTolerance: 0))
        #expect(lower.differing == 0 && lower.summary == "0 % of pixels differ by more than 0")
    }

    @Test func aReferenceIsTheRegionsSizeOrTheScreens() throws {
        let screen = Self.picture(32, 32) { x, y in x >= 8 && x < 16 && y < 8 ? (255, 0, 0) : (0, 0, 255) }
        let region = ScreenRegion(x: 8, y: 0, width: 8, height: 8)
        let small = Self.picture(8, 8) { _, _ in (255, 0, 0) }
        #expect(RegionComparison.difference(screen, small, region: region, channelTolerance: 0)?.differing == 0)
        #expect(RegionComparison.difference(screen, screen, region: region, channelTolerance: 0)?.differing == 0)
        let odd = Self.picture(9, 8) { _, _ in (255, 0, 0) }
        #expect(RegionComparison.difference(screen, odd, region: region, channelTolerance: 0) == nil)
        #expect(
            RegionComparison.difference(
                screen, small, region: ScreenRegion(x: 30, y: 0, width: 8, height: 8), channelTolerance: 0) == nil)
    }
}
