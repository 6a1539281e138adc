// A failed run's pictures from its artifacts folder: SVG plots (the trend plot) inline, PNG
// screenshots as data: URIs, so the page needs no other file. An SVG goes inline only when it
// holds nothing but drawing elements (no script, no event attribute, no link, nothing fetched);
// any other SVG is shown as an image, where a browser runs none of its script.
import Foundation
import JUnitReport

#if canImport(FoundationXML)
    import FoundationXML
#endif

struct ArtifactMedia {
    let run: JUnitSuite
    /// Larger pictures are named, not embedded.
    static let embedLimit = 4 << 20

    init(_ run: JUnitSuite) { self.run = run }

    var html: String {
        guard let folder = run.artifacts,
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder)
        else { return "" }
        var out = ""
        for name in names.sorted() where name.hasSuffix(".svg") || name.hasSuffix(".png") {
            let path = "\(folder)/\(name)"
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let caption = "<figcaption>\(HTMLText.escaped(path))</figcaption>"
            if data.count > Self.embedLimit {
                out += "<figure>\(caption) (\(data.count >> 10) KiB: too large to embed)</figure>\n"
            } else if name.hasSuffix(".svg") {
                out += "<figure>\(Self.svg(data))\(caption)</figure>\n"
            } else if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
                out +=
                    "<figure><img alt=\"\(HTMLText.escaped(name))\" src=\"data:image/png;base64,\(data.base64EncodedString())\">\(caption)</figure>\n"
            }
        }
        return out.isEmpty ? "" : "<h4>Plots and screenshots</h4>\n" + out
    }

    /// The SVG inline when `SVGCheck` finds only drawing in it, else as an image.
    static func svg(_ data: Data) -> String {
        let text = String(decoding: data, as: UTF8.self)
        if SVGCheck.isPlainDrawing(data), let start = text.range(of: "<svg") {
            return String(text[start.lowerBound...])
        }
        return "<img alt=\"plot\" src=\"data:image/svg+xml;base64,\(data.base64EncodedString())\">"
    }
}

/// Whether an SVG file is plain drawing: well-formed, only the elements a plot needs, no event
/// attributes, links, styles or URLs.
enum SVGCheck {
    static let elements: Set = [
        "svg", "g", "rect", "line", "polyline", "polygon", "path", "circle", "ellipse", "text", "tspan", "title", "desc",
    ]

    static func isPlainDrawing(_ data: Data) -> Bool {
        let parser = XMLParser(data: data)
        let check = Delegate()
        parser.delegate = check
        return parser.parse() && check.plain && check.sawSVG
    }

    private final class Delegate: NSObject, XMLParserDelegate {
        var plain = true
        var sawSVG = false

        func parser(
            _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if element == "svg" { sawSVG = true }
            let badAttribute = attributes.contains { name, value in
                let name = name.lowercased()
                let value = value.lowercased()
                return name.hasPrefix("on") || name.contains("href") || name == "style" || value.contains("url(")
                    || value.contains("javascript:")
            }
            if !Self.allowed(element) || badAttribute {
                plain = false
                parser.abortParsing()
            }
        }

        static func allowed(_ element: String) -> Bool { SVGCheck.elements.contains(element) }

        func parser(_ parser: XMLParser, foundProcessingInstruction target: String, data: String?) {
            plain = false
            parser.abortParsing()
        }
    }
}
