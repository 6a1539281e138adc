// A rectangle of pixels on the screen (or in an image): the unit of damage and of layer
// placement. Plain Swift, built for the host too (target KernelVideoCore).

public struct ScreenRect: Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public static let empty = ScreenRect(x: 0, y: 0, width: 0, height: 0)

    public var right: Int { x + width }
    public var bottom: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    public func intersection(_ o: ScreenRect) -> ScreenRect {
        let left = max(x, o.x)
        let top = max(y, o.y)
        let r = min(right, o.right)
        let b = min(bottom, o.bottom)
        return r <= left || b <= top ? .empty : ScreenRect(x: left, y: top, width: r - left, height: b - top)
    }

    /// The smallest rectangle holding both.
    public func union(_ o: ScreenRect) -> ScreenRect {
        if isEmpty { return o }
        if o.isEmpty { return self }
        let left = min(x, o.x)
        let top = min(y, o.y)
        return ScreenRect(x: left, y: top, width: max(right, o.right) - left, height: max(bottom, o.bottom) - top)
    }

    public func intersects(_ o: ScreenRect) -> Bool { !intersection(o).isEmpty }

    /// The rectangles with every overlapping group joined into its union, so no pixel is
    /// composed twice in a frame. Empty rectangles are dropped.
    public static func merged(_ rects: [ScreenRect]) -> [ScreenRect] {
        var out: [ScreenRect] = []
        for r in rects where !r.isEmpty {
            var joined = r
            var i = 0
            while i < out.count {
                if out[i].intersects(joined) {
                    joined = joined.union(out.remove(at: i))
                    i = 0
                } else {
                    i += 1
                }
            }
            out.append(joined)
        }
        return out
    }
}
