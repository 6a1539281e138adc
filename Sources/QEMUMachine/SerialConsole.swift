// The guest's COM1 as lines. Every line goes to a timestamped log file and to the runner; memory
// stays bounded however much the guest prints: over-long lines are cut, and only the first and
// the last lines are kept in memory (for the report and the verdict). The log file is bounded
// too: past its limit, lines are counted instead of written, and at the end a marker says how
// many were left out and the last lines follow it.
import Crypto
import Glibc
import HostSystem

public struct SerialLine {
    public let text: String
    /// Seconds since the VM was started.
    public let time: Double

    public init(text: String, time: Double) {
        self.text = text
        self.time = time
    }
}

public final class SerialConsole {
    /// Longer lines are delivered in pieces of this size.
    public static let maximumLineBytes = 4096
    public static let headLinesKept = 200
    public static let tailLinesKept = 200

    public var onLine: ((SerialLine) -> Void)?
    public private(set) var totalBytes = 0
    public private(set) var lineCount = 0
    /// When the guest last printed anything (the silence watchdog's clock).
    public private(set) var lastOutput: MonotonicInstant
    private var kept = HeadAndTail<SerialLine>(tailCapacity: SerialConsole.tailLinesKept)
    private var partial: [UInt8] = []
    private let start: MonotonicInstant
    private var logFD: Int32
    private var logBuffer: [UInt8] = []
    /// Bytes the log may hold: seven eighths for the first lines, one eighth for the last
    /// ones written after the marker (which comes on top).
    private let logLimit: Int
    private var headLimit: Int { logLimit - logLimit / 8 }
    private var logBytes = 0
    /// Lines (and their bytes) not written to the log; the first one's number.
    public private(set) var unloggedLines = 0
    public private(set) var unloggedBytes = 0
    private var firstUnloggedLine: Int?
    private var logFinished = false
    private var lastFlush = MonotonicInstant(nanoseconds: 0)
    private var fd: Int32 = -1
    private var reactor: Reactor?

    /// - Parameter logPath: where the timestamped log goes (nil: no log file).
    /// - Parameter logLimit: bytes of lines the log holds before it leaves lines out.
    public init(start: MonotonicInstant, logPath: String?, logLimit: Int = .max) throws {
        self.start = start
        self.logLimit = logLimit
        lastOutput = start
        if let logPath {
            logFD = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if logFD < 0 { throw SystemError("open", detail: logPath) }
        } else {
            logFD = -1
        }
    }

    deinit {
        detach()
        if logFD >= 0 { close(logFD) }
    }

    /// Starts reading the guest's serial line from `fd` (taking ownership).
    public func attach(fd: Int32, reactor: Reactor) {
        self.fd = fd
        self.reactor = reactor
        reactor.watchStream(fd) { [weak self] event in
            guard let self else { return }
            switch event {
            case .data(let bytes):
                self.pipe?.noteRead(bytes.count)
                self.consume(bytes)
            case .end:
                self.reachedEnd = true
                self.endOfStream()
            }
        }
    }

    /// Starts reading the guest's console from the FIFOs of deterministic mode.
    func attach(pipe: SerialPipe, reactor: Reactor) {
        self.pipe = pipe
        attach(fd: pipe.readFD, reactor: reactor)
    }

    /// The FIFOs of deterministic mode, when the console is not a socket.
    public private(set) var pipe: SerialPipe?

    /// Closes our end of the serial socket (before asking QEMU to quit, so it never blocks on
    /// a full console buffer).
    /// Also ends the stream: an unfinished last line is delivered and the log completed.
    public func detach() {
        if fd >= 0 {
            reactor?.unwatch(fd)
            close(fd)
            fd = -1
        }
        pipe?.closeInput()
        endOfStream()
    }

    public var isAttached: Bool { fd >= 0 }

    /// True once QEMU closed its end: every byte the guest printed has been seen.
    public private(set) var reachedEnd = false

    /// Reads what is left until QEMU's end is closed. Precondition: QEMU has exited, so the
    /// socket holds a finite amount and then end-of-file.
    public func drain() {
        guard fd >= 0, !reachedEnd else { return }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                reachedEnd = count == 0
                return
            }
        }
    }

    /// Types `text` on the guest's console.
    public func send(_ text: String) throws {
        guard fd >= 0 else { throw SystemError("write", errno: EPIPE, detail: "serial console is closed") }
        if let pipe { return try pipe.send(Array(text.utf8)) }
        try writeAll(fd, Array(text.utf8))
    }

    /// The first lines printed.
    public var headLines: [SerialLine] { kept.head }

    /// Every byte the guest printed, hashed as it came (no timestamps): two runs printed the
    /// same when these agree.
    private var digest = SHA256()
    /// The SHA-256 of every byte printed so far (raw, line ends included), in hex.
    public var sha256: String {
        digest.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The last lines printed, oldest first.
    public var tailLines: [SerialLine] { kept.tail }

    /// Lines neither in `headLines` nor in `tailLines`.
    public var omittedLineCount: Int { kept.droppedCount }

    /// Feeds raw bytes (public for tests and for replaying a log).
    public func consume(_ bytes: UnsafeRawBufferPointer) {
        totalBytes += bytes.count
        digest.update(bufferPointer: bytes)
        lastOutput = .now
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            append(rest[rest.startIndex..<newline])
            deliver()
            rest = rest[(newline + 1)...]
        }
        append(rest)
        // QEMU forwards a guest's output one byte per write, so chunks are often one byte:
        // write the log in batches, at most a tenth of a second behind (and fully at the end).
        if lastOutput.seconds(since: lastFlush) >= 0.1 { flushLog() }
    }

    private func append(_ bytes: Slice<UnsafeRawBufferPointer>) {
        var remaining = bytes
        while partial.count + remaining.count > Self.maximumLineBytes {
            let room = Self.maximumLineBytes - partial.count
            partial.append(contentsOf: remaining.prefix(room))
            remaining = remaining.dropFirst(room)
            deliver()
        }
        partial.append(contentsOf: remaining)
    }

    private func endOfStream() {
        if !partial.isEmpty { deliver() }
        finishLog()
    }

    /// Once, at the end: what the limit left out, then the last lines that were not logged.
    private func finishLog() {
        guard !logFinished else { return }
        logFinished = true
        if let firstUnloggedLine, logFD >= 0 {
            logBuffer += Array(
                "[... \(unloggedLines) lines (\(unloggedBytes) bytes) not logged: this run's serial.log is limited to \(logLimit) bytes (--artifact-limit); the last lines follow ...]\n"
                    .utf8)
            // The newest lines that fit in the last eighth, oldest first.
            let tail = tailLines
            let firstInTail = lineCount - tail.count
            var kept: [[UInt8]] = []
            var size = 0
            for (offset, line) in tail.enumerated().reversed() where firstInTail + offset >= firstUnloggedLine {
                let bytes = Array("[\(line.time.fixed3.leftPadded(9))] \(line.text)\n".utf8)
                if size + bytes.count > logLimit / 8 { break }
                size += bytes.count
                kept.append(bytes)
            }
            for bytes in kept.reversed() { logBuffer += bytes }
        }
        flushLog()
    }

    private func deliver() {
        var bytes = partial[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        let line = SerialLine(text: String(decoding: bytes, as: UTF8.self), time: MonotonicInstant.now.seconds(since: start))
        partial.removeAll(keepingCapacity: true)
        lineCount += 1
        kept.append(line, fitsHead: kept.head.count < Self.headLinesKept)
        if logFD >= 0 {
            let stamp = Array("[\(line.time.fixed3.leftPadded(9))] ".utf8)
            let size = stamp.count + bytes.count + 1
            if firstUnloggedLine == nil && logBytes + size <= headLimit {
                logBytes += size
                logBuffer += stamp
                logBuffer += bytes
                logBuffer.append(UInt8(ascii: "\n"))
                if logBuffer.count >= 64 * 1024 { flushLog() }
            } else {
                // Once one line is left out, all later ones are too: the log stays a prefix.
                if firstUnloggedLine == nil { firstUnloggedLine = lineCount - 1 }
                unloggedLines += 1
                unloggedBytes += bytes.count + 1
            }
        }
        onLine?(line)
    }

    /// Why the log stopped short (a full disk), if it did; nothing more is written after it.
    public private(set) var logFailure: SystemError?

    private func flushLog() {
        lastFlush = .now
        guard logFD >= 0, logFailure == nil, !logBuffer.isEmpty else {
            logBuffer.removeAll(keepingCapacity: true)
            return
        }
        logBuffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(logFD, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    logFailure = SystemError("write", detail: "serial.log")
                    break
                }
                offset += written
            }
        }
        logBuffer.removeAll(keepingCapacity: true)
    }
}
