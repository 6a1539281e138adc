// A rectangle of pixels on the screen (or in an image): the unit of damage and of layer placement.

struct ScreenRect: Equatable {
    var x: Int
    var y: Int
    var width: Int
    var height: Int

    var right: Int { x + width }
    var bottom: Int { y + height }
    var isEmpty: Bool { width <= 0 || height <= 0 }

    func intersection(_ o: ScreenRect) -> ScreenRect {
        let left = max(x, o.x)
        let top = max(y, o.y)
        let r = min(right, o.right)
        let b = min(bottom, o.bottom)
        return r <= left || b <= top
            ? ScreenRect(x: 0, y: 0, width: 0, height: 0) : ScreenRect(x: left, y: top, width: r - left, height: b - top)
    }

    /// The smallest rectangle holding both.
    func union(_ o: ScreenRect) -> ScreenRect {
        if isEmpty { return o }
        if o.isEmpty { return self }
        let left = min(x, o.x)
        let top = min(y, o.y)
        return ScreenRect(x: left, y: top, width: max(right, o.right) - left, height: max(bottom, o.bottom) - top)
    }

    func intersects(_ o: ScreenRect) -> Bool { !intersection(o).isEmpty }
}
