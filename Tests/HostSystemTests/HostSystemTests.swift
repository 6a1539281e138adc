import Foundation
import Glibc
import TestSupport
import Testing

@testable import HostSystem

@Suite struct ReactorTests {
    @Test func readsStreamsUntilTheirEnd() throws {
        let (a, b) = try UnixSocket.pair()
        let reactor = Reactor(observesInterrupts: false)
        var received: [UInt8] = []
        var ended = false
        reactor.watchStream(a) { event in
            switch event {
            case .data(let bytes): received += bytes
            case .end: ended = true
            }
        }
        try writeAll(b, Array("hello".utf8))
        close(b)
        let done = try reactor.run(until: { ended }, deadline: { .now.adding(seconds: 5) })
        #expect(done)
        #expect(received == Array("hello".utf8))
        #expect(!reactor.isWatching(a), "a stream that ended is no longer watched")
        close(a)
    }

    @Test func aDeadlineThatMovesIsHonoured() throws {
        let (a, b) = try UnixSocket.pair()
        let reactor = Reactor(observesInterrupts: false)
        let start = MonotonicInstant.now
        var lastByte = start
        var count = 0
        reactor.watchStream(a) { event in
            if case .data = event {
                lastByte = .now
                count += 1
            }
        }
        // Each byte pushes the (silence-like) deadline back; after the third byte none comes.
        var sent = 0
        let satisfied = try reactor.run(
            until: {
                if sent < 3 && count == sent {
                    try? writeAll(b, [0x41])
                    sent += 1
                }
                return false
            }, deadline: { lastByte.adding(seconds: 0.2) })
        #expect(!satisfied)
        #expect(count == 3)
        #expect(MonotonicInstant.now.seconds(since: lastByte) >= 0.2)
        close(a)
        close(b)
    }

    @Test func waitingOnNothingIsAnErrorNotAHang() {
        let reactor = Reactor(observesInterrupts: false)
        #expect(throws: ReactorError.self) { try reactor.run(until: { false }) }
    }

    @Test func shellQuotingOnlyWhenNeeded() {
        #expect(shellQuoted("-append") == "-append")
        #expect(shellQuoted("ktest=* seed=1") == "'ktest=* seed=1'")
        #expect(shellQuoted("it's") == "'it'\\''s'")
    }
}
