// The console's memory and its log file stay bounded whatever the guest prints: hostile bytes
// (NUL, 0xff, invalid UTF-8) arrive as lines, and past the limit the log keeps its head, a
// marker saying how much was left out, and the newest lines.
import Foundation
import HostSystem
import Testing

@testable import QEMUMachine

@Suite struct SerialConsoleLimitTests {
    @Test func logStopsAtItsLimitThenSaysWhatItLeftOutAndKeepsTheLastLines() throws {
        let folder = try PrivateDirectory(prefix: "serial-limit")
        let path = folder.file("serial.log")
        let limit = 64 << 10
        let console = try SerialConsole(start: .now, logPath: path, logLimit: limit)
        let hostile: [UInt8] = Array("hostile: ".utf8) + [0x00, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x0d, 0x00]
        let overlong = [UInt8](repeating: 0xff, count: 10_000) + [0x0a]
        overlong.withUnsafeBytes { console.consume($0) }
        for index in 0..<5000 {
            let line = hostile + Array(" \(index)\n".utf8)
            line.withUnsafeBytes { console.consume($0) }
        }
        Array("unterminated".utf8).withUnsafeBytes { console.consume($0) }
        console.detach()

        let log = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(log.count <= limit + 200, "the log is \(log.count) bytes")
        #expect(console.lineCount == 3 + 5000 + 1, "a 10,000-byte run is cut into 4,096-byte lines")
        #expect(console.unloggedLines > 3000)
        let text = String(decoding: log, as: UTF8.self)
        #expect(text.contains("lines (\(console.unloggedBytes) bytes) not logged"))
        #expect(text.contains("hostile: "), "the head is there")
        #expect(text.contains(" 4999\n") && text.hasSuffix("] unterminated\n"), "the last lines follow the marker")
        #expect(log.contains(0x00) && log.contains(0xff), "the head keeps the guest's own bytes")
        #expect(console.headLines.count == SerialConsole.headLinesKept)
        #expect(console.tailLines.count == SerialConsole.tailLinesKept)
        #expect(console.tailLines.allSatisfy { $0.text.utf8.count <= 3 * SerialConsole.maximumLineBytes })
        #expect(console.totalBytes == 10_001 + 5000 * hostile.count + 28_890 + 12)
    }

    @Test func belowTheLimitTheLogIsComplete() throws {
        let folder = try PrivateDirectory(prefix: "serial-limit")
        let path = folder.file("serial.log")
        let console = try SerialConsole(start: .now, logPath: path, logLimit: 1 << 20)
        Array("one\ntwo\nthree".utf8).withUnsafeBytes { console.consume($0) }
        console.detach()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").map { $0.drop { $0 != "]" }.dropFirst(2) } == ["one", "two", "three"])
        #expect(!text.contains("not logged"))
    }
}
