// How much a region of one picture differs from the same region of another (or from a
// reference the region's size): the share of pixels where some channel differs by more than a
// tolerance, and the largest channel difference.

public struct RegionDifference: Equatable, Sendable {
    /// The region compared, in the first picture's coordinates.
    public let region: ScreenRegion
    /// Pixels where some channel differs by more than `channelTolerance`.
    public let differing: Int
    public let pixels: Int
    public let channelTolerance: Int
    /// The largest difference of one channel anywhere in the region.
    public let largest: Int

    /// `differing` as a percentage of the region's pixels.
    public var percent: Double { pixels == 0 ? 0 : Double(differing) * 100 / Double(pixels) }

    /// "12.4 % of pixels differ by more than 8" (two decimals below 1 %, so one pixel shows).
    public var summary: String {
        "\(Self.format(percent)) % of pixels differ by more than \(channelTolerance)"
    }

    /// A percentage with one decimal, or two below 1 (0.02 % is one pixel of 64x64).
    public static func format(_ percent: Double) -> String {
        let decimals = percent > 0 && percent < 1 ? 100.0 : 10.0
        let rounded = (percent * decimals).rounded() / decimals
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

public enum RegionComparison {
    /// Compares `region` of `image` with `other`: the same region of it when `other` is the
    /// same size as `image`, or all of it when it is the region's size. Nil when neither holds
    /// or the region does not fit.
    public static func difference(
        _ image: ScreenImage, _ other: ScreenImage, region: ScreenRegion, channelTolerance: Int
    ) -> RegionDifference? {
        guard region.fits(width: image.width, height: image.height) else { return nil }
        let otherOrigin: (x: Int, y: Int)
        if other.width == image.width && other.height == image.height {
            otherOrigin = (region.x, region.y)
        } else if other.width == region.width && other.height == region.height {
            otherOrigin = (0, 0)
        } else {
            return nil
        }
        var differing = 0
        var largest = 0
        image.pixels.withUnsafeBufferPointer { first in
            other.pixels.withUnsafeBufferPointer { second in
                for row in 0..<region.height {
                    var a = ((region.y + row) * image.width + region.x) * 3
                    var b = ((otherOrigin.y + row) * other.width + otherOrigin.x) * 3
                    for _ in 0..<region.width {
                        var worst = 0
                        for channel in 0..<3 {
                            let delta = abs(Int(first[a + channel]) - Int(second[b + channel]))
                            if delta > worst { worst = delta }
                        }
                        if worst > channelTolerance { differing += 1 }
                        if worst > largest { largest = worst }
                        a += 3
                        b += 3
                    }
                }
            }
        }
        return RegionDifference(
            region: region, differing: differing, pixels: region.width * region.height,
            channelTolerance: channelTolerance, largest: largest)
    }
}
