// Builds Tests/Soaks/reach-guest.S, the guest that prints what QEMU put in its reach (modules,
// option ROMs, PCI functions, fw_cfg files, IDE drives), and reads its lines back.
import Foundation
import TestSupport

enum ReachGuest {
    /// The image in `folder`.
    static func build(in folder: URL) throws -> String {
        let image = folder.appendingPathComponent("reach.elf").path
        try SoakGuest.build("reach-guest.S", into: image)
        return image
    }

    /// `reach: KIND a=b c=d ...` lines as (kind, fields); a module's `first=` runs to the line's end.
    static func records(_ lines: [String]) -> [(kind: String, fields: [String: String])] {
        lines.compactMap { line in
            guard let start = line.range(of: "reach: ") else { return nil }
            var rest = Substring(line[start.upperBound...])
            var fields: [String: String] = [:]
            if let first = rest.range(of: " first=") {
                fields["first"] = String(rest[first.upperBound...])
                rest = rest[..<first.lowerBound]
            }
            let words = rest.split(separator: " ")
            guard let kind = words.first else { return nil }
            for word in words.dropFirst() + (kind.contains("=") ? [kind] : []) {
                let pair = word.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            return (kind.contains("=") ? String(kind.prefix { $0 != "=" }) : String(kind), fields)
        }
    }
}
