// Builds Tests/Soaks/flood-guest.S (a multiboot program of a few dozen instructions) for
// the flood and silence tests: text, hostile bytes, or nothing at all on COM1.
import Foundation
import TestSupport

enum FloodGuest {
    enum Mode: Int {
        case text = 0, hostile = 1, silent = 2, goodbye = 3, markup = 4
        /// Bytes each repetition prints (see flood-guest.S).
        var recordBytes: Int { [100, 4_629, 0, 100, 10][rawValue] }
    }

    /// The last line the `goodbye` guest prints, just before it exits.
    static let goodbyeLine = "goodbye: the last line before isa-debug-exit, whole 0123456789"
    /// One text record's line (modes text and goodbye).
    static let textLine = "flood: " + String(repeating: "0123456789", count: 9) + "01"

    /// The image in `folder`, printing `records` repetitions in `mode`, then exiting with 33.
    static func build(_ mode: Mode, records: Int, in folder: URL) throws -> String {
        let image = folder.appendingPathComponent("flood-\(mode).elf").path
        try SoakGuest.build("flood-guest.S", into: image, defines: ["FLOOD_LINES=\(records)", "FLOOD_MODE=\(mode.rawValue)"])
        return image
    }

}
