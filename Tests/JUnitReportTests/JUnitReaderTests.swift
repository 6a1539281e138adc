// JUnitReader on documents made here: past libxml2's 10 MB input limit (a nightly's report), and
// every outcome and property kind written and read back.
import Foundation
import JUnitReport
import Testing

@Suite struct JUnitReaderTests {
    @Test func aReportPastTenMegabytesIsReadWhole() throws {
        var document = JUnitDocument()
        let log = String(repeating: "[    1.000] heartbeat: uptime_ms=1000 <&> \\x00\n", count: 90)
        for index in 0..<3_000 {
            var suite = JUnitSuite(name: "soak #\(index + 1)")
            suite.properties = [("seed", String(index)), ("rerun", "swift run harness soak.yaml --seed \(index)")]
            var run = JUnitCase(classname: "scenarios.soak", name: suite.name, time: "1.234")
            run.systemOut = log
            suite.cases = [run]
            document.suites.append(suite)
        }
        let xml = document.xml
        #expect(xml.utf8.count > 12_000_000)
        let read = try JUnitReader.parse(Data(xml.utf8), file: "big.xml")
        #expect(read.suites.count == 3_000)
        #expect(read.xml == xml)
    }

    @Test func everyOutcomeAndPropertyKindReadsBack() throws {
        var suite = JUnitSuite(name: "kinds")
        suite.timestamp = "2026-12-05T18:00:00Z"
        suite.hostname = "h"
        suite.package = "scenarios"
        suite.properties = [("cmdline", "a=\"1\"\tb\nc"), ("patterns.expected", "ready\n/^ok [0-9]+/")]
        var failure = JUnitCase(
            classname: "c", name: "failed",
            outcome: .failure(type: "hang (serial silence watchdog)", message: "m <x>", text: "t\r\n"))
        failure.systemErr = "warning: w"
        var withProperties = JUnitCase(classname: "c", name: "case properties")
        withProperties.properties = [("k", "v")]
        suite.cases = [
            failure, JUnitCase(classname: "c", name: "error", outcome: .error(type: nil, message: nil, text: "")),
            JUnitCase(classname: "c", name: "skipped", outcome: .skipped(message: nil, text: "SKIP")),
            withProperties,
        ]
        suite.systemOut = "suite out"
        let xml = JUnitDocument(suites: [suite]).xml
        let read = try JUnitReader.parse(Data(xml.utf8), file: "kinds.xml")
        #expect(read.xml == xml)
        let back = try #require(read.suites.first)
        #expect(back.property("cmdline") == "a=\"1\"\tb\nc")
        #expect(back.cases.map(\.outcome.status) == [.failed, .error, .skipped, .passed])
        #expect(back.cases[0].outcome.text == "t\r\n" && back.cases[0].outcome.message == "m <x>")
        #expect(back.cases[3].properties.map(\.name) == ["k"])
    }
}
