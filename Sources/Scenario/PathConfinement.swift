// Where the files a scenario names (kernel, modules, the kernel's symbols) may be: inside the
// scenario root (the repository holding the scenario, else the folder given on the command
// line) or a directory the person running the harness allowed (`--allow-dir`). A path is
// judged by where it really leads: an absolute path, a `..` or a symlink that ends outside is
// refused, one that ends inside is fine (profiles.yaml's ../build/kernel/kernel.img).
import Foundation
import Glibc

public struct PathConfinement: Equatable, Sendable {
    /// The scenario root, as a real path (no symlinks).
    public let root: String
    /// Directories allowed besides the root, as real paths.
    public let allowed: [String]

    /// `root` and `allowed` as given (relative to the working directory, symlinks allowed).
    public init(root: String, allowed: [String] = []) {
        self.root = Self.realPath(root)
        self.allowed = allowed.map(Self.realPath)
    }

    /// The root for scenarios reached through `path` as given on the command line: the nearest
    /// folder at or above it holding `.git` (the repository); outside a repository, the nearest
    /// folder at or above it holding a profiles.yaml (the top of a scenario library); else the
    /// folder itself (for a file, its folder).
    public static func root(for path: String) -> String {
        var isDirectory: ObjCBool = false
        let real = realPath(path)
        let start =
            FileManager.default.fileExists(atPath: real, isDirectory: &isDirectory) && isDirectory.boolValue
            ? real : (real as NSString).deletingLastPathComponent
        var library: String?
        var folder = start
        while true {
            if FileManager.default.fileExists(atPath: folder + "/.git") { return folder }
            if library == nil && FileManager.default.fileExists(atPath: folder + "/" + ProfileLibrary.fileName) {
                library = folder
            }
            let parent = (folder as NSString).deletingLastPathComponent
            if parent == folder || parent.isEmpty { return library ?? start }
            folder = parent
        }
    }

    /// The confinement of a scenario file parsed on its own: the root its own path gives.
    public static func forFile(_ file: String, allowing allowed: [String] = []) -> PathConfinement {
        PathConfinement(root: root(for: file), allowed: allowed)
    }

    /// Whether the real path `real` is the root, an allowed directory, or inside one.
    public func contains(_ real: String) -> Bool {
        ([root] + allowed).contains { directory in
            real == directory || real.hasPrefix(directory == "/" ? "/" : directory + "/")
        }
    }

    /// `file`'s path from the root (`scenarios/crash/triple-fault.yaml`), or its real path when
    /// it lies outside the root.
    public func relativePath(of file: String) -> String {
        let real = Self.realPath(file)
        return real.hasPrefix(root + "/") ? String(real.dropFirst(root.count + 1)) : real
    }

    /// `text` (relative to `folder`, a real path) as the real path it leads to, or why it is
    /// refused. A file that does not exist yet (a kernel not built) is judged by its nearest
    /// existing folder; one that exists must be a regular file.
    func resolve(_ text: String, relativeTo folder: String, what: String) -> Result<String, IsolationProblem> {
        let joined = text.hasPrefix("/") ? text : folder + "/" + text
        let real = Self.realPath(joined)
        guard contains(real) else {
            return .failure(
                .init(
                    "\(what): '\(IsolationRules.printable(text))' leads to \(real), outside the scenario root \(root)\(allowed.isEmpty ? "" : " and the allowed directories \(allowed.joined(separator: ", "))") (absolute paths, '..' and symlinks may not leave it; the person running the harness can allow a directory with --allow-dir)"
                ))
        }
        var info = stat()
        if stat(real, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
            return .failure(.init("\(what): '\(IsolationRules.printable(text))' is not a regular file"))
        }
        return .success(real)
    }

    /// `path` with every symlink resolved and `.`/`..` taken; for a path that does not exist
    /// (yet), its nearest existing ancestor resolved and the rest appended as written.
    static func realPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        if let resolved = realpath(absolute, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        var components = absolute.split(separator: "/").map(String.init)
        var rest: [String] = []
        while !components.isEmpty {
            rest.insert(components.removeLast(), at: 0)
            let head = "/" + components.joined(separator: "/")
            if let resolved = realpath(head, nil) {
                defer { free(resolved) }
                var result = String(cString: resolved)
                for part in rest {
                    switch part {
                    case ".", "": continue
                    // Past the last existing folder nothing is a symlink: `..` is lexical.
                    case "..": result = (result as NSString).deletingLastPathComponent
                    default: result += (result.hasSuffix("/") ? "" : "/") + part
                    }
                }
                return result.isEmpty ? "/" : result
            }
        }
        return absolute
    }
}
