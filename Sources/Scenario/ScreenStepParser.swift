// `screen:` steps and `watchdogs.display` in scenario files. Names of screenshots are checked
// like captures (a check names only screenshots saved by an earlier step), regions must be
// `X,Y WxH`, and a reference image is a path confined to the scenario root like `kernel`.
import Foundation
import Screen
import Yams

/// What screen steps need besides the YAML: the screenshots saved so far, and where a reference
/// image may be.
struct ScreenStepContext {
    var saved: Set<String> = []
    let confinement: PathConfinement
    /// The scenario file: references are relative to its folder.
    let file: String
}

extension ScenarioParser {
    static let screenKinds = ["save", "changed", "unchanged", "compare"]

    /// `screen: {save: NAME}`, `{changed: [A, B], ...}`, `{unchanged: [A, B], ...}` or
    /// `{compare: NAME, reference: FILE, ...}`, each check with optional `region` and `tolerance`.
    static func parseScreenStep(_ body: Node, reader: YAMLReader, context: inout ScreenStepContext) throws -> ScreenStep {
        let fields = try reader.mapping(body, "screen")
        let kinds = screenKinds.filter { fields[$0] != nil }
        guard kinds.count == 1, let kind = kinds.first, let value = fields[kind] else {
            throw reader.error(body, "screen takes exactly one of \(screenKinds.joined(separator: ", "))")
        }
        if kind == "save" {
            try fields.check(allowed: ["save"])
            let name = try screenshotName(value, reader: reader)
            context.saved.insert(name)
            return .save(name: name)
        }
        try fields.check(allowed: [kind, "region", "tolerance"] + (kind == "compare" ? ["reference"] : []))
        let region = try fields["region"].map { node -> ScreenRegion in
            let text = try reader.string(node, "screen.region")
            guard let region = ScreenRegion(parsing: text) else {
                throw reader.error(node, "screen.region must be 'X,Y WxH' in pixels (e.g. '0,0 64x64'), not '\(text)'")
            }
            return region
        }
        let (channel, percent) = try fields["tolerance"].map { try parseTolerance($0, reader: reader) } ?? (0, 0)
        func saved(_ node: Node) throws -> String {
            let name = try reader.string(node, "screen.\(kind)")
            guard context.saved.contains(name) else {
                throw reader.error(node, "no screenshot '\(name)' saved by an earlier step (screen: {save: \(name)})")
            }
            return name
        }
        let checkKind: ScreenCheck.Kind
        let shot: String
        if kind == "compare" {
            shot = try saved(value)
            let referenceNode = try fields.required("reference")
            let written = try reader.string(referenceNode, "screen.reference")
            if let problem = IsolationRules.textProblem(written) {
                throw reader.error(referenceNode, "screen.reference: \(problem)")
            }
            let folder = URL(fileURLWithPath: context.file).deletingLastPathComponent().path
            switch context.confinement.resolve(written, relativeTo: folder, what: "screen.reference") {
            case .success(let path): checkKind = .reference(path: path, written: written)
            case .failure(let problem): throw reader.error(referenceNode, problem.message)
            }
        } else {
            let names = try reader.sequence(value, "screen.\(kind)")
            guard names.count == 2 else {
                throw reader.error(value, "screen.\(kind) names two screenshots: [first, second]")
            }
            shot = try saved(names[0])
            let other = try saved(names[1])
            checkKind = kind == "changed" ? .changed(other: other) : .unchanged(other: other)
        }
        return .check(
            ScreenCheck(kind: checkKind, shot: shot, region: region, channelTolerance: channel, pixelPercent: percent))
    }

    /// A screenshot's name: it names the artifact `screen-NAME.png`, so letters, digits, `-`, `_`.
    static func screenshotName(_ node: Node, reader: YAMLReader) throws -> String {
        let name = try reader.string(node, "screen.save")
        let allowed = name.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_"
        }
        guard !name.isEmpty, name.count <= 64, allowed else {
            throw reader.error(node, "a screenshot's name is 1 to 64 letters, digits, '-' and '_', not '\(name)'")
        }
        return name
    }

    /// `tolerance: {channel: N, pixels: P%}`: a channel may differ by N (0-255), P percent of
    /// the pixels may differ by more.
    static func parseTolerance(_ node: Node, reader: YAMLReader) throws -> (Int, Double) {
        let fields = try reader.mapping(node, "screen.tolerance")
        try fields.check(allowed: ["channel", "pixels"])
        let channel = try fields["channel"].map { Int(try reader.integer($0, "screen.tolerance.channel", range: 0...255)) } ?? 0
        var percent = 0.0
        if let pixels = fields["pixels"] {
            let text = try reader.string(pixels, "screen.tolerance.pixels")
            guard text.hasSuffix("%"), let value = Double(text.dropLast().trimmingCharacters(in: .whitespaces)),
                value >= 0, value <= 100
            else {
                throw reader.error(pixels, "screen.tolerance.pixels is a percentage from 0% to 100%, not '\(text)'")
            }
            percent = value
        }
        return (channel, percent)
    }

    /// `display: DURATION` or `{within, after, until}`.
    static func parseDisplayWatch(_ node: Node, reader: YAMLReader) throws -> DisplayWatch {
        if case .scalar = node { return DisplayWatch(within: try reader.duration(node, "watchdogs.display")) }
        let fields = try reader.mapping(node, "watchdogs.display")
        try fields.check(allowed: ["within", "after", "until"])
        return DisplayWatch(
            within: try reader.duration(try fields.required("within"), "watchdogs.display.within"),
            after: try fields["after"].map { try reader.pattern($0, "watchdogs.display.after") },
            until: try fields["until"].map { try reader.pattern($0, "watchdogs.display.until") })
    }
}
