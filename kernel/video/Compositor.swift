// The compositor, built the way the seed's was: layers as class instances in a dictionary keyed
// by layer id and walked in depth order, a damage queue of rectangles, and a frame that
// allocates as the seed's did (the depth-ordered walk and the drained damage are fresh arrays
// every frame). It composes the damaged rectangles into a back buffer of page-run tiles, then
// copies them to the framebuffer. Updaters on other CPUs change layers through `replaceImage`
// and `move`; only the compositor's task calls `composeFrame`.
//
// Locking: `lock` guards `layers`, every layer's position and image, and `damage`. Images are
// never drawn into once handed over, so composition reads them without the lock; an image
// replaced meanwhile stays alive until the frame that took it lets go.

final class Compositor {
    let width: Int
    let height: Int
    let framebuffer: Framebuffer?
    let back: TiledImage
    private let lock = SpinLock()
    private var layers: [Int: Layer] = [:]
    private var damage = DamageQueue(capacity: 16)
    private(set) var frames = 0

    init(width: Int, height: Int, framebuffer: Framebuffer?) {
        self.width = width
        self.height = height
        self.framebuffer = framebuffer
        back = TiledImage(width: width, height: height, fill: 0xFF00_0000)
    }

    var screen: ScreenRect { ScreenRect(x: 0, y: 0, width: width, height: height) }

    func add(_ layer: Layer) {
        lock.withLock {
            layers[layer.id] = layer
            damage.pushBack(layer.frame.intersection(screen))
        }
    }

    /// Gives layer `id` a new image (same position); the old and new areas are damaged. The
    /// old image is released after the lock, so its pages are not freed with interrupts off.
    func replaceImage(id: Int, with image: TiledImage) {
        let old = lock.withLock { () -> TiledImage? in
            guard let layer = layers[id] else { return nil }
            let previous = layer.image
            damage.pushBack(layer.frame.intersection(screen))
            layer.image = image
            damage.pushBack(layer.frame.intersection(screen))
            return previous
        }
        _ = old
    }

    /// Moves layer `id`'s top-left corner to (x, y); the old and new areas are damaged.
    func move(id: Int, x: Int, y: Int) {
        lock.withLock {
            guard let layer = layers[id] else { return }
            damage.pushBack(layer.frame.intersection(screen))
            layer.x = x
            layer.y = y
            damage.pushBack(layer.frame.intersection(screen))
        }
    }

    /// One frame: takes the layers in depth order and the pending damage, composes every
    /// damaged rectangle into the back buffer and copies it to the screen. Returns the pixels
    /// composed.
    @discardableResult
    func composeFrame() -> Int {
        var order: [(layer: Layer, image: TiledImage, frame: ScreenRect)] = []
        var rects: [ScreenRect] = []
        order.reserveCapacity(layers.count + 4)
        rects.reserveCapacity(damage.count + 8)
        lock.withLock {
            for layer in layers.values { order.append((layer, layer.image, layer.frame)) }
            while let r = damage.popFront() { rects.append(r) }
        }
        order.sort { $0.layer.depth < $1.layer.depth || ($0.layer.depth == $1.layer.depth && $0.layer.id < $1.layer.id) }
        let merged = ScreenRect.merged(rects)
        var pixels = 0
        for r in merged {
            for entry in order { Self.draw(entry.image, at: entry.frame, clippedTo: r, into: back) }
            pixels += r.width * r.height
        }
        if let fb = framebuffer {
            for r in merged { fb.copy(r, from: back) }
        }
        frames += 1
        return pixels
    }

    /// Draws the part of `image` (placed at `frame`) inside `clip` over `target`: pixels with
    /// alpha 0 are transparent, the rest replace what is below. Runs never cross a tile edge
    /// of either image.
    static func draw(_ image: TiledImage, at frame: ScreenRect, clippedTo clip: ScreenRect, into target: TiledImage) {
        let area = frame.intersection(clip).intersection(target.bounds)
        if area.isEmpty { return }
        let side = TiledImage.tileSide
        for y in area.y..<area.bottom {
            var x = area.x
            while x < area.right {
                let sx = x - frame.x
                let run = min(area.right - x, side - (x & (side - 1)), side - (sx & (side - 1)))
                let source = image.pointer(x: sx, y: y - frame.y)
                let destination = target.pointer(x: x, y: y)
                for i in 0..<run {
                    let p = source[i]
                    if p >> 24 != 0 { destination[i] = p }
                }
                x += run
            }
        }
    }
}
