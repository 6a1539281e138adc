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
        // QEMU could have been made to leave a symlink or a FIFO there, or a huge file.
        do {
            return try RegularFile.read(path, limit: Self.screendumpByteLimit)
        } catch {
            throw ScreendumpError(description: "\(path): \(error)")
        }
    }
}
