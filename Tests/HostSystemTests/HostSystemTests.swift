import Foundation
import Glibc
import Testing
@testable import HostSystem
import TestSupport

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func knownVectors(input: String, digest: String) {
        var hasher = SHA256()
        hasher.update(Array(input.utf8))
        #expect(hasher.finalize() == digest)
    }

    @Test func fileHashMatchesSha256sum() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(getpid())").path
        // Sizes around the 64-byte block and 56-byte padding boundaries, and a multi-chunk file.
        for size in [55, 56, 63, 64, 65, 200_001] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let text = try Tool.run(["sha256sum", path]).output
            #expect(SHA256.file(path) == String(text.prefix(64)), "size \(size)")
        }
        unlink(path)
    }
}

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
            if case .data = event { lastByte = .now; count += 1 }
        }
        // Each byte pushes the (silence-like) deadline back; after the third byte none comes.
        var sent = 0
        let satisfied = try reactor.run(until: {
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
