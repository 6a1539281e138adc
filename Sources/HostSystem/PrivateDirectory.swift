// Each VM's sockets live in a directory only this user can enter (mode 0700), removed at the end.
import Glibc

public final class PrivateDirectory {
    public let path: String

    /// Creates a fresh directory under `parent` (default $TMPDIR or /tmp). Socket paths must stay
    /// under 108 bytes, which is why the default parent is short.
    public init(prefix: String = "harness", parent: String? = nil) throws {
        let base = parent ?? (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw SystemError("mkdtemp", detail: base) }
        path = String(cString: template)
        chmod(path, 0o700)  // mkdtemp already makes it 0700; this states the requirement
    }

    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Removes the directory and the files (sockets) directly inside it.
    public func remove() {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { unlink(file(name)) }
            }
            closedir(dir)
        }
        rmdir(path)
    }

    deinit { remove() }
}
