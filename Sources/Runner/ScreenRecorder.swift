// What a run saw of the guest's screen: the screenshots its steps saved by name, and the last
// few different pictures any screenshot showed (the steps' and the display watch's), kept so a
// failed run's artifacts show the screen before the failure.
import Screen

final class ScreenRecorder {
    /// Different pictures kept for a failure's artifacts, the latest last.
    static let recentKept = 3

    struct Seen {
        let image: ScreenImage
        /// Seconds from QEMU's launch: the first and the last screenshot showing it.
        var first: Double
        var last: Double
        var screenshots: Int
    }

    /// Screenshots saved by `screen: {save: NAME}`.
    private(set) var saved: [String: ScreenImage] = [:]
    private(set) var recent: [Seen] = []
    /// Every screenshot taken.
    private(set) var count = 0

    /// Notes a screenshot taken `seconds` after launch; true when it differs from the one before
    /// (the first one changed nothing).
    @discardableResult
    func note(_ image: ScreenImage, at seconds: Double) -> Bool {
        count += 1
        let first = recent.isEmpty
        if let index = recent.indices.last, recent[index].image == image {
            recent[index].last = seconds
            recent[index].screenshots += 1
            return false
        }
        recent.append(Seen(image: image, first: seconds, last: seconds, screenshots: 1))
        if recent.count > Self.recentKept { recent.removeFirst(recent.count - Self.recentKept) }
        return !first
    }

    func save(_ image: ScreenImage, as name: String) { saved[name] = image }
}
