// Guests that abuse the serial line: megabytes of NUL, 0xff, invalid UTF-8 and over-long lines,
// or nothing at all. The verdict must be right, memory and the log bounded, the report valid,
// and nothing left behind (KernelScenario.run checks QEMU and its directory).
import Foundation
import HostSystem
import JUnitReport
import Runner
import SchemaCheck
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct FloodEndToEndTests {
    @Test func hostileFloodIsReadWholeLoggedWithinTheLimitAndReportedValidly() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 0.9 MB: past the 256 KiB limit 3.6 times, and short enough for the 120 s deadline on a
        // loaded 2-core host (QEMU forwards a byte per write); `make harness-soak` floods hundreds of MB.
        let records = 200
        let image = try FloodGuest.build(.hostile, records: records, in: folder)
        let limit = 256 << 10
        // Expecting 34 makes the run fail, so its artifacts (the log) are kept to look at.
        let result = try KernelScenario.run(
            """
            machine: {kernel: \(image), memory: 32M, vcpus: 1}
            watchdogs: {silence: 30s, deadline: 120s}
            never: ["KERNEL PANIC"]
            expect: {exit: 34}
            """, allowing: [folder.path], configure: { $0.artifactLimit = limit },
            inspect: { result in
                let log = try Data(contentsOf: URL(fileURLWithPath: "\(result.artifacts ?? "?")/serial.log"))
                #expect(log.count <= limit + 300, "serial.log is \(log.count) bytes")
                #expect(
                    String(decoding: log, as: UTF8.self).contains(
                        "bytes) not logged: this run's serial.log is limited to \(limit) bytes"))
                #expect(log.contains(0) && log.contains(0xff), "the guest's bytes are logged as they came")
                let junit = folder.appendingPathComponent("junit.xml").path
                try JUnitReport(results: [result]).write(to: junit)
                #expect(try SchemaValidator.problems(in: junit) == nil)
            })
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.message.contains("QEMU exited with 33, expected 34"))
        #expect(result.serialBytes == records * FloodGuest.Mode.hostile.recordBytes, "every byte was read")
        // The very last bytes: the end of the last record's 4,600-byte run of 0xff, past the
        // 4,096-byte cut, then its newline.
        #expect(
            result.serialTail.last?.text == String(repeating: "\u{FFFD}", count: 4600 - 4096),
            "the last line is \(result.serialTail.last.map { "\($0.text.count) characters" } ?? "missing")")
        #expect(result.omittedSerialLines > 0)
    }

    @Test func guestThatNeverPrintsIsAHangCaughtBySilence() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = try FloodGuest.build(.silent, records: 0, in: folder)
        var launched = MonotonicInstant.now
        let result = try KernelScenario.run(
            """
            machine: {kernel: \(image), memory: 32M, vcpus: 1}
            watchdogs: {silence: 2s, deadline: 60s}
            never: []
            expect: {exit: 33}
            """, allowing: [folder.path], onLaunch: { _ in launched = .now })
        #expect(result.verdict.status == .error, "\(result.verdict)")
        #expect(result.verdict.kind == .hang)
        #expect(result.verdict.watchdog == .serialSilence)
        #expect(result.serialBytes == 0)
        // From QEMU's launch: this guest has no boot to speak of; its 2 s of silence, then the verdict.
        #expect(MonotonicInstant.now.seconds(since: launched) < 2 + 25)
    }
}
