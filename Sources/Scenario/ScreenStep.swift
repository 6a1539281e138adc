// `screen:` steps: the guest's screen as the harness sees it through QMP `screendump` (the
// harness takes the picture into its own private directory; a scenario names pictures, never
// host paths).
import Screen

public enum ScreenStep {
    /// Takes a screenshot and keeps it under `name` (and as `screen-NAME.png` in the artifacts).
    case save(name: String)
    /// Compares a region of a saved screenshot with another one or with a reference image.
    case check(ScreenCheck)
}

public struct ScreenCheck {
    public enum Kind: Equatable {
        /// The region must differ between `shot` and `other` (more than `pixelPercent` of
        /// its pixels by more than `channelTolerance`).
        case changed(other: String)
        /// The region must be the same in `shot` and `other` (within the tolerance).
        case unchanged(other: String)
        /// The region of `shot` must match the reference image (within the tolerance): the
        /// file is the region's size, or the screenshot's size (then its same region counts).
        case reference(path: String, written: String)
    }

    public let kind: Kind
    /// The screenshot whose region is compared.
    public let shot: String
    /// Nil: the whole screen.
    public let region: ScreenRegion?
    /// A channel may differ by this much (0 to 255) before its pixel counts as different.
    public let channelTolerance: Int
    /// This share of the region's pixels (0 to 100) may differ.
    public let pixelPercent: Double
}

/// `watchdogs.display`: the screen must keep changing while the watch is on.
public struct DisplayWatch: Equatable {
    /// No change on the screen for this long is a hang.
    public var within: Double
    /// The watch starts once a line matches this (nil: when the guest starts running).
    public var after: Pattern?
    /// The watch ends once a line matches this (nil: never).
    public var until: Pattern?
}
