// The roulette's wheel: 37 numbered pockets (the European order) on a ring around a hub, drawn
// into a fresh image for every rotation. Each pixel's band (outside, rim, pockets, hub) and
// direction from the centre are worked out once, so a frame is a table walk.

final class RouletteWheel {
    static let pocketCount = 37
    /// The numbers round the wheel, clockwise from 0.
    let numbers: [Int] = [
        0, 32, 15, 19, 4, 21, 2, 25, 17, 34, 6, 27, 13, 36, 11, 30, 8, 23, 10, 5, 24, 16, 33, 1, 20, 14, 31, 9, 22, 18,
        29, 7, 28, 12, 35, 3, 26,
    ]
    let radius: Int
    var side: Int { 2 * radius }
    /// Where the ball rests in a pocket, and where labels sit.
    var restRadius: Double { Double(radius) * 0.86 }
    var labelRadius: Double { Double(radius) * 0.71 }
    private enum Band: UInt8 { case outside = 0, rim, pockets, hub }
    private var bands: [UInt8]
    /// Direction of each pixel from the centre, in 1/65536 turn.
    private var angles: [UInt16]

    init(radius: Int) {
        self.radius = radius
        let side = 2 * radius
        bands = [UInt8](repeating: 0, count: side * side)
        angles = [UInt16](repeating: 0, count: side * side)
        let r = Double(radius)
        for y in 0..<side {
            for x in 0..<side {
                let dx = Double(x) + 0.5 - r
                let dy = Double(y) + 0.5 - r
                let d = (dx * dx + dy * dy).squareRoot()
                let band: Band =
                    d >= r ? .outside : d >= r * 0.94 ? .rim : d >= r * 0.62 ? .pockets : .hub
                bands[y * side + x] = band.rawValue
                angles[y * side + x] = UInt16(truncatingIfNeeded: Int(Trigonometry.angle(y: dy, x: dx) * 65536))
            }
        }
    }

    static func isRed(_ n: Int) -> Bool {
        switch n {
        case 1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36: return true
        default: return false
        }
    }

    static func color(ofNumber n: Int) -> UInt32 { n == 0 ? 0xFF1E_8C3C : isRed(n) ? 0xFFC8_1E1E : 0xFF16_1616 }

    /// The wheel turned by `rotation` turns (clockwise on the screen): a new image.
    func render(rotation: Double) -> TiledImage {
        let image = TiledImage(width: side, height: side)
        let turn = UInt16(truncatingIfNeeded: Int((rotation - Double(Int64(rotation))) * 65536))
        var pocketColors: InlineArray<37, UInt32> = .init(repeating: 0)
        for i in 0..<Self.pocketCount { pocketColors[i] = Self.color(ofNumber: numbers[i]) }
        let side = self.side
        bands.withUnsafeBufferPointer { bands in
            angles.withUnsafeBufferPointer { angles in
                for y in 0..<side {
                    var x = 0
                    while x < side {
                        let run = min(side - x, TiledImage.tileSide - (x & (TiledImage.tileSide - 1)))
                        let row = image.pointer(x: x, y: y)
                        let base = y * side + x
                        for i in 0..<run {
                            let a = angles[base + i] &- turn
                            switch bands[base + i] {
                            case Band.rim.rawValue: row[i] = 0xFFB0_8A3C
                            case Band.pockets.rawValue:
                                let scaled = UInt32(a) &* UInt32(Self.pocketCount)
                                row[i] = scaled & 0xFFFF < 0x1800 ? 0xFFD4_B060 : pocketColors[Int(scaled >> 16)]
                            case Band.hub.rawValue: row[i] = (a >> 13) & 1 == 0 ? 0xFF6B_4423 : 0xFF8A_5A2E
                            default: break
                            }
                        }
                        x += run
                    }
                }
            }
        }
        for i in 0..<Self.pocketCount {
            let centre = rotation + (Double(i) + 0.5) / Double(Self.pocketCount)
            let px = Int(Double(radius) + labelRadius * Trigonometry.cosine(turns: centre))
            let py = Int(Double(radius) + labelRadius * Trigonometry.sine(turns: centre))
            let n = numbers[i]
            let w = Glyphs.width(count: Glyphs.digits(n), scale: 2)
            Glyphs.draw(number: n, into: image, x: px - w / 2, y: py - 5, scale: 2, color: 0xFFF0_F0F0)
        }
        image.fillDisc(cx: radius, cy: radius, r: radius / 10, 0xFFD4_B060)
        return image
    }
}
