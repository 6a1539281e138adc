// Real QMP conversations recorded from this machine's QEMU (see Fixtures/record-transcripts.py),
// and a peer that replays QEMU's side of one over a socket pair.
import Foundation
import HostSystem
import QMP

struct TranscriptFixture {
    struct Entry {
        let fromQEMU: Bool
        let text: String
        let endOfStream: Bool
    }

    let entries: [Entry]

    init(_ name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/qmp-\(name).json")
        let list = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [[String: Any]]
        entries = list.map {
            Entry(
                fromQEMU: ($0["from"] as! String) == "qemu", text: $0["text"] as! String,
                endOfStream: ($0["eof"] as? Bool) ?? false)
        }
    }

    /// Everything QEMU sent, as one byte string.
    var qemuBytes: [UInt8] { Array(entries.filter(\.fromQEMU).map(\.text).joined().utf8) }
}

/// How the replaying peer cuts QEMU's bytes into writes.
enum Chunking: CaseIterable {
    /// As QEMU's reads were recorded (some hold two messages).
    case asRecorded
    /// All of QEMU's consecutive output in one write.
    case merged
    /// Seven bytes per write: messages split mid-token.
    case sevenBytes
    /// One byte per write.
    case bytewise
}

/// Plays QEMU's side of a transcript on its own thread: sends QEMU's chunks, and before each
/// recorded client message waits for one line from the client and checks it is the same JSON.
final class ReplayPeer {
    let fd: Int32
    private let fixture: TranscriptFixture
    private let chunking: Chunking
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private(set) var mismatches: [String] = []

    /// Hang up after sending this many of QEMU's bytes (nil: play the whole transcript).
    private let cutAfter: Int?
    private var sentBytes = 0

    init(_ fixture: TranscriptFixture, chunking: Chunking, fd: Int32, cutAfter: Int? = nil) {
        self.fixture = fixture
        self.cutAfter = cutAfter
        self.chunking = chunking
        self.fd = fd
        // The peer uses plain blocking I/O.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let thread = Thread { [self] in
            self.play()
            self.finished.signal()
        }
        self.thread = thread
        thread.start()
    }

    func waitUntilFinished() { finished.wait() }

    private func play() {
        var pendingOutput: [UInt8] = []
        var received: [UInt8] = []
        for entry in fixture.entries {
            if let cutAfter, sentBytes >= cutAfter { break }
            if entry.fromQEMU {
                if entry.endOfStream {
                    flush(&pendingOutput)
                    break
                }
                switch chunking {
                case .merged: pendingOutput += Array(entry.text.utf8)
                default: write(Array(entry.text.utf8))
                }
                continue
            }
            flush(&pendingOutput)
            // Wait for one line from the client; stop if it hangs up.
            guard let line = readLine(&received) else { break }
            let expected = JSONCodec.parse(entry.text)
            if let expected, JSONCodec.parse(line) != expected {
                mismatches.append("expected \(entry.text.trimmingCharacters(in: .newlines)), got \(line)")
            }
        }
        flush(&pendingOutput)
        close(fd)
    }

    private func flush(_ pending: inout [UInt8]) {
        if !pending.isEmpty { send(pending) }
        pending.removeAll()
    }

    private func write(_ bytes: [UInt8]) {
        switch chunking {
        case .asRecorded, .merged: send(bytes)
        case .sevenBytes: stride(from: 0, to: bytes.count, by: 7).forEach { send(Array(bytes[$0..<min($0 + 7, bytes.count)])) }
        case .bytewise: bytes.forEach { send([$0]) }
        }
    }

    private func send(_ bytes: [UInt8]) {
        var bytes = bytes[...]
        if let cutAfter { bytes = bytes.prefix(max(0, cutAfter - sentBytes)) }
        sentBytes += bytes.count
        _ = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
    }

    private func readLine(_ buffer: inout [UInt8]) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0a) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return nil }
            buffer += chunk[..<count]
        }
    }
}
