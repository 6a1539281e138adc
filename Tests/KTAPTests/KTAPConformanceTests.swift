// The conformance corpus: KTAP documents written for this suite (Conformance/NN-name.ktap), each
// with the status and counts Linux's tools/testing/kunit/kunit_parser.py gives for it
// (Conformance/expectations.tsv, facts derived from its source). Ours must agree on every one.
import Foundation
import Testing

@testable import KTAP

@Suite struct KTAPConformanceTests {
    struct Expectation: CustomStringConvertible {
        let file: String
        let status: String
        let counts: KTAPCounts
        var description: String { file }
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Conformance")

    static let expectations: [Expectation] = {
        let text = (try? String(contentsOf: folder.appendingPathComponent("expectations.tsv"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t").map(String.init)
            let numbers = fields.dropFirst(2).map { Int($0)! }
            return Expectation(
                file: fields[0], status: fields[1],
                counts: KTAPCounts(
                    passed: numbers[0], failed: numbers[1], crashed: numbers[2], skipped: numbers[3], errors: numbers[4]))
        }
    }()

    @Test func theCorpusHasAtLeastThirtyDocumentsAndEveryOneHasItsFacts() throws {
        #expect(Self.expectations.count >= 30)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".ktap") }
        #expect(Set(files) == Set(Self.expectations.map(\.file)))
    }

    @Test(arguments: expectations) func agreesWithKUnit(_ expectation: Expectation) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(expectation.file), encoding: .utf8)
        var parser = KTAPParser()
        // By bytes, as the serial console splits them: "\r\n" is one Character to Swift.
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        for line in lines { parser.feed(Substring(String(String.UnicodeScalarView(line)))) }
        parser.finish()
        let summary = parser.summary
        #expect(summary.status.rawValue == expectation.status, "\(summary.errors)")
        #expect(summary.counts == expectation.counts, "\(summary.errors)")
        #expect(summary.passed == ["SUCCESS", "SKIPPED"].contains(expectation.status))
    }
}
