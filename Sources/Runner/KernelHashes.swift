// The kernel image's SHA-256 for the report (`kernel.sha256`), hashed once per image per harness
// run whatever the number of scenarios, with swift-crypto (BoringSSL): a 14 MB image took 3.3-3.8 s
// of CPU with the hand-written SHA-256 it replaces in a debug build (`swift run`); a whole harness
// run booting that image, hash included, takes 0.06-0.08 s of CPU with this.
import Crypto
import Foundation

final class KernelHashes {
    static let shared = KernelHashes()
    private var hashes: [String: String] = [:]
    private let lock = NSLock()

    func hash(of path: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let known = hashes[path] { return known }
        let value = Self.sha256(ofFile: path) ?? "unreadable"
        hashes[path] = value
        return value
    }

    /// The file's digest in lowercase hex, as `sha256sum` prints it; nil when it cannot be read.
    static func sha256(ofFile path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            return nil
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
