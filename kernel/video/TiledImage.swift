// An image of 32-bit pixels (0xAARRGGBB; alpha 0 is transparent) kept in square tiles of
// 64×64 pixels, each tile a 16 KiB run of pages from the kernel heap (through the Swift
// runtime's allocator, as every buffer of the compositor). Layers draw into them; the
// compositor's back buffer is one. Freed with the instance.

final class TiledImage {
    static let tileSide = 64
    static let tileShift = 6
    static let tileBytes = tileSide * tileSide * 4

    let width: Int
    let height: Int
    let tilesAcross: Int
    private(set) var tiles: [UnsafeMutableRawPointer] = []

    /// A `width`×`height` image, every pixel `fill`.
    init(width: Int, height: Int, fill: UInt32 = 0) {
        self.width = width
        self.height = height
        tilesAcross = (width + Self.tileSide - 1) >> Self.tileShift
        let tilesDown = (height + Self.tileSide - 1) >> Self.tileShift
        tiles.reserveCapacity(tilesAcross * tilesDown)
        for _ in 0..<(tilesAcross * tilesDown) {
            let tile = UnsafeMutableRawPointer.allocate(byteCount: Self.tileBytes, alignment: 4096)
            tile.bindMemory(to: UInt32.self, capacity: Self.tileSide * Self.tileSide)
                .initialize(repeating: fill, count: Self.tileSide * Self.tileSide)
            tiles.append(tile)
        }
    }

    deinit {
        for tile in tiles { tile.deallocate() }
    }

    var bounds: ScreenRect { ScreenRect(x: 0, y: 0, width: width, height: height) }

    /// The pixel at (x, y); the row continues to the tile's right edge.
    @inline(__always)
    func pointer(x: Int, y: Int) -> UnsafeMutablePointer<UInt32> {
        let tile = tiles[(y >> Self.tileShift) * tilesAcross + (x >> Self.tileShift)]
        let offset = ((y & (Self.tileSide - 1)) << Self.tileShift) | (x & (Self.tileSide - 1))
        return tile.assumingMemoryBound(to: UInt32.self) + offset
    }

    @inline(__always)
    func pixel(x: Int, y: Int) -> UInt32 { pointer(x: x, y: y).pointee }

    @inline(__always)
    func set(x: Int, y: Int, _ color: UInt32) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        pointer(x: x, y: y).pointee = color
    }

    func fill(_ rect: ScreenRect, _ color: UInt32) {
        let r = rect.intersection(bounds)
        if r.isEmpty { return }
        for y in r.y..<r.bottom {
            var x = r.x
            while x < r.right {
                let run = min(r.right - x, Self.tileSide - (x & (Self.tileSide - 1)))
                pointer(x: x, y: y).update(repeating: color, count: run)
                x += run
            }
        }
    }

    /// A filled disc of radius `r` centred on (cx, cy).
    func fillDisc(cx: Int, cy: Int, r: Int, _ color: UInt32) {
        for dy in -r...r {
            var half = 0
            while (half + 1) * (half + 1) + dy * dy <= r * r { half += 1 }
            fill(ScreenRect(x: cx - half, y: cy + dy, width: 2 * half + 1, height: 1), color)
        }
    }
}
