// Small files read and written whole: pid files, and /proc files of this process (its peak
// memory, which Linux lets a process reset so one phase can be measured alone).
import Glibc

/// The first `maxBytes` of a small file (a pid file, a /proc file).
func readSmallFile(_ path: String, maxBytes: Int = 64) throws -> String {
    let fd = try syscall("open", detail: path) { open(path, O_RDONLY | O_CLOEXEC) }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: maxBytes)
    var filled = 0
    while filled < maxBytes {
        let count = try syscall("read", detail: path) {
            buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, maxBytes - filled) }
        }
        if count == 0 { break }
        filled += count
    }
    return String(decoding: buffer[0..<filled], as: UTF8.self)
}

public enum PeakMemory {
    /// This process's peak resident memory (VmHWM of /proc/self/status) in KiB, nil when
    /// unreadable. Not getrusage's ru_maxrss: that survives exec, so under `swift run` (which
    /// execs the harness) it would report SwiftPM's own peak.
    public static func kibibytes() -> Int? {
        guard let status = try? readSmallFile("/proc/self/status", maxBytes: 16384) else { return nil }
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(String(line.dropFirst(6).filter { $0.isNumber }))
    }

    /// Resets VmHWM to the current resident size (writing 5 to /proc/self/clear_refs); false
    /// when the kernel refuses.
    public static func reset() -> Bool {
        guard
            let fd = try? syscall(
                "open", detail: "/proc/self/clear_refs", { open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC) })
        else { return false }
        defer { close(fd) }
        var five = UInt8(ascii: "5")
        return (try? syscall("write", detail: "/proc/self/clear_refs") { write(fd, &five, 1) }) == 1
    }
}
