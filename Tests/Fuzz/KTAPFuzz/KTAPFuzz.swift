// libFuzzer target for the KTAP parser: serial lines in, a result tree out, whatever the kernel
// prints. Invariants: a result never comes from nothing (no more results than lines), CRLF and LF
// line ends read the same, and finishing twice changes nothing.
import FuzzSupport
import KTAP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKTAP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: FuzzInput(data, size).bytes, as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)

    var parser = KTAPParser()
    for (index, line) in lines.enumerated() { parser.feed(line, at: Double(index)) }
    _ = parser.isFinished
    parser.finish()
    let cases = parser.document.leafCases()
    require(cases.count <= lines.count, "\(cases.count) cases from \(lines.count) lines")
    _ = parser.document.allPassed

    // CRLF against LF: only for text without carriage returns of its own.
    if !text.contains("\r") {
        var crlf = KTAPParser()
        for (index, line) in lines.enumerated() { crlf.feed(Substring(line + "\r"), at: Double(index)) }
        crlf.finish()
        require(crlf.document == parser.document, "CRLF line ends read differently from LF")
    }

    var again = parser
    again.finish()
    require(again.document == parser.document, "a second finish changed the document")
    return 0
}
