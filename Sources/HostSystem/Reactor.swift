// One poll(2) loop per virtual machine. Everything that happens to a VM (serial bytes, QMP
// messages, QEMU's stderr closing when it exits, Ctrl-C) arrives here as a readable fd, so the
// harness sleeps in the kernel until something happens or a deadline is due: no polling loops.
import Glibc

/// Thrown out of `Reactor.run` when SIGINT or SIGTERM reached the harness.
public struct Interrupted: Error, CustomStringConvertible {
    public let signal: Int32
    public var description: String { "interrupted by signal \(signal)" }
}

public enum ReactorError: Error, CustomStringConvertible {
    /// `run` was asked to wait with no fd watched and no deadline: it would sleep forever.
    case nothingToWaitFor
    public var description: String { "nothing left to wait for (no open fd and no deadline)" }
}

/// What a stream watch hands to its handler. The buffer is only valid during the call.
public enum StreamEvent {
    case data(UnsafeRawBufferPointer)
    /// The peer closed (nil) or reading failed. The watch is already removed.
    case end(SystemError?)
}

/// A single-threaded event loop. Precondition: used from one thread only (the VM's thread).
public final class Reactor {
    private enum Watch {
        case readable(() -> Void)
        case stream((StreamEvent) -> Void)
    }

    private var watches: [Int32: Watch] = [:]
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    private let interruptFD: Int32?

    /// - Parameter observesInterrupts: when true, `run` throws `Interrupted` once SIGINT or
    ///   SIGTERM arrived (see `InterruptSignal`).
    public init(observesInterrupts: Bool = true) {
        interruptFD = observesInterrupts ? InterruptSignal.readFD : nil
    }

    deinit { readBuffer.deallocate() }

    /// Calls `handler` whenever `fd` is readable; the handler does the reading (e.g. accept).
    public func watchReadable(_ fd: Int32, handler: @escaping () -> Void) {
        watches[fd] = .readable(handler)
    }

    /// Reads `fd` (which must be non-blocking) and hands each chunk to `handler`, then `.end`.
    public func watchStream(_ fd: Int32, handler: @escaping (StreamEvent) -> Void) {
        watches[fd] = .stream(handler)
    }

    public func unwatch(_ fd: Int32) { watches[fd] = nil }

    public func isWatching(_ fd: Int32) -> Bool { watches[fd] != nil }

    /// Dispatches I/O until `isDone` returns true (then returns true) or the deadline passes
    /// (then returns false). Both closures are re-evaluated after every wake-up, so a deadline
    /// that moves (a silence watchdog pushed back by each serial line) is honoured.
    /// `isDone` may throw to end the wait early (a watchdog firing).
    @discardableResult
    public func run(
        until isDone: () throws -> Bool,
        deadline: () -> MonotonicInstant? = { nil },
        interruptible: Bool = true
    ) throws -> Bool {
        while true {
            if try isDone() { return true }
            let due = deadline()
            var timeoutMs: Int32 = -1
            if let due {
                let now = MonotonicInstant.now
                if now >= due { return false }
                let ms = (due.nanoseconds - now.nanoseconds + 999_999) / 1_000_000
                timeoutMs = Int32(min(ms, UInt64(Int32.max)))
            }
            var fds = watches.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let watchedCount = fds.count
            if interruptible, let interruptFD {
                fds.append(pollfd(fd: interruptFD, events: Int16(POLLIN), revents: 0))
            }
            if watchedCount == 0 && due == nil { throw ReactorError.nothingToWaitFor }
            let ready = poll(&fds, nfds_t(fds.count), timeoutMs)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SystemError("poll")
            }
            if ready == 0 { continue }
            if fds.count > watchedCount, fds[watchedCount].revents != 0 {
                throw Interrupted(signal: InterruptSignal.lastSignal)
            }
            for entry in fds.prefix(watchedCount) where entry.revents != 0 {
                dispatch(entry.fd)
            }
        }
    }

    private func dispatch(_ fd: Int32) {
        guard let watch = watches[fd] else { return }  // removed by an earlier handler
        switch watch {
        case .readable(let handler):
            handler()
        case .stream(let handler):
            do {
                guard
                    let count = try nonBlockingSyscall(
                        "read", detail: "fd \(fd)",
                        {
                            Glibc.read(fd, readBuffer.baseAddress, readBuffer.count)
                        })
                else { return }
                if count > 0 {
                    handler(.data(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])))
                } else {
                    watches[fd] = nil
                    handler(.end(nil))
                }
            } catch {
                watches[fd] = nil
                handler(.end(error as? SystemError))
            }
        }
    }
}
