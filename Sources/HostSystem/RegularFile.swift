// Reading a file someone else could have put in our way (a reference image beside a scenario, a
// screendump a compromised QEMU wrote): a regular file only, opened without following a link and
// without blocking on a FIFO, and no more than a limit, so it cannot make us read without end.
import Glibc

public enum RegularFile {
    /// Why the file was not read, for the caller to put in its own words.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The bytes of the regular file at `path`, at most `limit` of them (more is a refusal).
    public static func read(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = try syscall("open", detail: path) { open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw Refusal(description: "not a regular file")
        }
        guard info.st_size <= limit else { throw Refusal(description: "\(info.st_size) bytes, more than \(limit)") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = try syscall("read", detail: path) {
                bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            }
            guard count > 0 else { break }
            filled += count
        }
        return Array(bytes.prefix(filled))
    }
}
