// One layer of the screen: an image placed at a position, at a depth (higher is nearer the
// viewer). Its updater replaces the image or moves it through the compositor, which owns the
// layer table and its lock.

final class Layer {
    let id: Int
    let depth: Int
    /// Where the image's top-left pixel is on the screen.
    var x: Int
    var y: Int
    var image: TiledImage

    init(id: Int, depth: Int, x: Int, y: Int, image: TiledImage) {
        self.id = id
        self.depth = depth
        self.x = x
        self.y = y
        self.image = image
    }

    var frame: ScreenRect { ScreenRect(x: x, y: y, width: image.width, height: image.height) }
}
