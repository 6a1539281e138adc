// Symbol maps read once per symbol file for the whole harness process: scenario checks before
// boot, every run's hang diagnosis, the backtraces it symbolizes, and the gdb command line all
// share them.
import Foundation

public final class SymbolMapCache: @unchecked Sendable {
    public static let shared = SymbolMapCache()
    private var maps: [String: SymbolMap?] = [:]
    private let lock = NSLock()

    /// The symbols of a kernel: the file its profile names (`symbols:`: an ELF64 image with
    /// symbols, a `vmlinux`, or a System.map), else by the naming rule of `symbolsPath`.
    public func map(forImage image: String, symbols: String? = nil) -> SymbolMap? {
        let candidates = symbols.map { [$0] } ?? [image, Self.elfPath(forImage: image)]
        let key = candidates.joined(separator: "\u{0}")
        lock.lock()
        defer { lock.unlock() }
        if let known = maps[key] { return known }
        // The image itself only when it is an ELF64 (a bzImage is no System.map either).
        let map = candidates.lazy.compactMap { path in
            path == image && symbols == nil ? (try? ELFImage(path: path)).map(SymbolMap.init(image:)) : try? SymbolMap(path: path)
        }.first
        maps[key] = map
        return map
    }

    /// The file symbols are read from (for the gdb command a person types): `symbols` when
    /// given. Without it `map` reads the image itself when it is an ELF64 with symbols, else the
    /// same path with `.elf` for its last extension (our build's `kernel.img` → `kernel.elf`,
    /// the ELF64 image it converts to ELF32 for QEMU's loader); this names the latter when it
    /// exists.
    public static func symbolsPath(forImage image: String, symbols: String? = nil) -> String {
        if let symbols { return symbols }
        return elfPath(forImage: image)
    }

    /// The naming rule alone: `<image minus its last extension>.elf` if it exists, else the image.
    public static func elfPath(forImage image: String) -> String {
        let sibling = (image as NSString).deletingPathExtension + ".elf"
        return FileManager.default.fileExists(atPath: sibling) ? sibling : image
    }
}
