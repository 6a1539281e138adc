// The linear framebuffer a display scans out: 32-bit pixels (0x00RRGGBB), `pitch` bytes a row,
// reached through the identity map. Only the compositor writes to it.

struct Framebuffer {
    let base: UInt64
    let width: Int
    let height: Int
    let pitch: Int

    /// Copies `rect` (clipped to the screen) from the back buffer to the screen, row by row,
    /// a tile's run of a row at a time.
    func copy(_ rect: ScreenRect, from back: TiledImage) {
        let r = rect.intersection(ScreenRect(x: 0, y: 0, width: width, height: height))
        if r.isEmpty { return }
        for y in r.y..<r.bottom {
            let row = UnsafeMutableRawPointer(bitPattern: UInt(base) + UInt(y * pitch))!
            var x = r.x
            while x < r.right {
                let run = min(r.right - x, TiledImage.tileSide - (x & (TiledImage.tileSide - 1)))
                (row + x * 4).copyMemory(from: back.pointer(x: x, y: y), byteCount: run * 4)
                x += run
            }
        }
    }
}
