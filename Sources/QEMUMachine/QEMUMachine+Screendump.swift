// The guest's screen through QMP `screendump`, on the harness's own QMP connection (scenarios
// cannot send it: it names a host path). QEMU writes a PPM into the VM's private directory, the
// only place it may write inside its sandbox; the harness reads it and removes it at once.
import Glibc
import HostSystem
import QMP

extension QEMUMachine {
    /// The file QEMU writes; one at a time (the VM's steps and watchdogs run on one thread).
    static let screendumpName = "screendump.ppm"
    /// More than any screen QEMU draws (16384 x 16384 x 3 is 768 MiB, but the harness reads at
    /// most 8192 x 8192): a compromised QEMU cannot make the harness read without end.
    static let screendumpByteLimit = 8192 * 8192 * 3 + 64

    public struct ScreendumpError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The screen as a binary PPM (P6). Throws QMPError when QEMU refuses (no display device:
    /// "no surface") and ScreendumpError when the file is not what QEMU should have written.
    public func screendump(timeout: Double = 10) throws -> [UInt8] {
        let path = directory.file(Self.screendumpName)
        unlink(path)
        defer { unlink(path) }
        _ = try qmp.execute("screendump", arguments: .object(["filename": .string(path)]), timeout: timeout)
        // QEMU could have been made to leave a symlink or a FIFO there: a regular file only,
        // opened without following links and without blocking.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw ScreendumpError(description: "\(SystemError("open", detail: path))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw ScreendumpError(description: "\(path) is not a regular file")
        }
        guard info.st_size <= Self.screendumpByteLimit else {
            throw ScreendumpError(description: "\(path) holds \(info.st_size) bytes, more than a screen")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return Array(bytes.prefix(filled))
    }
}
