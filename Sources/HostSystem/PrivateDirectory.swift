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
        // Who owns it, so a later harness can clear it away if this one is killed outright.
        let owner = "\(getpid())\n"
        // Best effort: without it the directory is only cleared by its own harness.
        let ownerPath = file(Self.ownerFile)
        if let fd = try? syscall("open", detail: ownerPath, { open(ownerPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }) {
            _ = try? syscall("write", detail: ownerPath) { owner.withCString { write(fd, $0, strlen($0)) } }
            close(fd)
        }
    }

    static let ownerFile = "owner.pid"

    /// Removes directories `<parent>/<prefix>.*` of this user whose owning process is gone
    /// (left by a harness that was killed outright). Returns the paths removed.
    @discardableResult
    public static func removeAbandoned(prefix: String = "harness", parent: String? = nil) -> [String] {
        let base = parent ?? (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
        guard let dir = opendir(base) else { return [] }
        defer { closedir(dir) }
        var removed: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard name.hasPrefix(prefix + ".") else { continue }
            let path = "\(base)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0, info.st_uid == getuid(), (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            guard let text = try? readSmallFile("\(path)/\(ownerFile)"), let pid = pid_t(text.filter { $0.isNumber }),
                pid != getpid(), kill(pid, 0) == -1, errno == ESRCH
            else { continue }
            if let orphan = try? PrivateDirectory(existing: path) {
                orphan.remove()
                removed.append(path)
            }
        }
        return removed
    }

    private init(existing path: String) throws { self.path = path }

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
