// Stop replies: why the target stopped (`S05`, `T05thread:p01.02;swbreak:;`) or that it ended
// (`W00`, `X09`). Thread ids become typed values here so nothing downstream matches strings.

/// A vCPU as the stub names it: `pPID.TID` with multiprocess, else a bare TID (hex numbers).
public struct GDBThreadID: Hashable, CustomStringConvertible {
    public let process: Int
    public let thread: Int

    public init(process: Int = 1, thread: Int) {
        self.process = process
        self.thread = thread
    }

    /// Parses `p01.02`, `p1.2` or `02`.
    public init?(_ text: Substring) {
        if text.hasPrefix("p") {
            let parts = text.dropFirst().split(separator: ".", maxSplits: 1)
            guard parts.count == 2, let pid = Int(parts[0], radix: 16), let tid = Int(parts[1], radix: 16) else { return nil }
            self.init(process: pid, thread: tid)
        } else {
            guard let tid = Int(text, radix: 16) else { return nil }
            self.init(thread: tid)
        }
    }

    /// The form sent back to the stub (multiprocess).
    public var description: String { "p\(String(process, radix: 16)).\(String(thread, radix: 16))" }
    /// QEMU numbers threads cpu_index + 1.
    public var cpuIndex: Int { thread - 1 }
}

public enum StopReply: Equatable {
    case signal(Int, thread: GDBThreadID?, reason: String?)
    case exited(Int)
    case terminated(signal: Int)

    /// Parses a stop reply packet; nil when `payload` is not one.
    public init?(_ payload: String) {
        guard let kind = payload.first, payload.count >= 3,
            let number = Int(payload.dropFirst().prefix(2), radix: 16)
        else { return nil }
        switch kind {
        case "S":
            self = .signal(number, thread: nil, reason: nil)
        case "T":
            var thread: GDBThreadID?
            var reason: String?
            for field in payload.dropFirst(3).split(separator: ";") {
                let pair = field.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let key = pair[0]
                if key == "thread", pair.count == 2 {
                    thread = GDBThreadID(pair[1])
                } else if ["swbreak", "hwbreak", "watch", "rwatch", "awatch"].contains(String(key)) {
                    reason = String(key)
                }
            }
            self = .signal(number, thread: thread, reason: reason)
        case "W":
            self = .exited(number)
        case "X":
            self = .terminated(signal: number)
        default:
            return nil
        }
    }
}
