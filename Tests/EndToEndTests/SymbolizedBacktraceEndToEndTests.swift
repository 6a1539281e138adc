// A panic report of the real kernel prints its backtrace as raw addresses: the harness must
// show each frame with its function in the JUnit failure text, and keep the whole serial log
// symbolized beside the raw one.
import Foundation
import JUnitReport
import Runner
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct SymbolizedBacktraceEndToEndTests {
    @Test func anUnexpectedPanicShowsItsFramesSymbolizedInTheFailureText() throws {
        var junit = ""
        var symbolizedLog: String?
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 2, cmdline: "ktest=crash.swift_trap seed={seed}"}
            watchdogs: {silence: 20s, deadline: 60s}
            expect: {exit: 33}
            """,
            inspect: { result in
                junit = JUnitReport(results: [result]).xml
                symbolizedLog = result.artifacts.flatMap {
                    try? String(contentsOfFile: "\($0)/serial.symbolized.log", encoding: .utf8)
                }
            })
        #expect(result.verdict.status == .error, "\(result.verdict)")
        #expect(result.verdict.kind == .panic)
        // The failure element holds the report's frames with their functions: the trap's
        // closure at rip, and the walk back through the test runner to kmain.
        let failure = try #require(junit.range(of: "<error ").map { String(junit[$0.lowerBound...]) })
        let failureText = String(failure[..<(failure.range(of: "</error>")?.lowerBound ?? failure.endIndex)])
        #expect(failureText.contains("guest backtrace symbolized (symbols: "), "\(failureText)")
        #expect(failureText.contains(#/cpu=0 rip=0x[0-9a-f]{16} \(closure #[0-9]+ in CrashTests\.suite/#), "\(failureText)")
        #expect(failureText.contains(#/#[0-9]+ 0x[0-9a-f]{16} \(KernelTests\.run\(glob:\)\+0x[0-9a-f]+\)/#), "\(failureText)")
        #expect(failureText.contains(#/#[0-9]+ 0x[0-9a-f]{16} \(kmain\(/#), "\(failureText)")
        let log = try #require(symbolizedLog, "serial.symbolized.log")
        #expect(log.contains(#/\] +#[0-9]+ 0x[0-9a-f]{16} \(kmain\(/#), "\(log)")
    }
}
