// Symbol maps read once per image for the whole harness process: scenario checks before boot,
// every run's hang diagnosis, and the gdb command line all share them.
import Foundation

public final class SymbolMapCache: @unchecked Sendable {
    public static let shared = SymbolMapCache()
    private var maps: [String: SymbolMap?] = [:]
    private let lock = NSLock()

    /// The ELF64 symbols for a boot image: the image itself when it is ELF64, else `kernel.elf`
    /// beside a `kernel.img` (our build converts the ELF64 image to ELF32 for QEMU's loader).
    public func map(forImage image: String) -> SymbolMap? {
        lock.lock()
        defer { lock.unlock() }
        if let known = maps[image] { return known }
        let candidates = [image, Self.elfPath(forImage: image)]
        let map = candidates.lazy.compactMap { try? SymbolMap(path: $0) }.first
        maps[image] = map
        return map
    }

    /// The path of the ELF64 image with symbols (for the gdb command a person types).
    public static func elfPath(forImage image: String) -> String {
        let sibling = (image as NSString).deletingPathExtension + ".elf"
        return FileManager.default.fileExists(atPath: sibling) ? sibling : image
    }
}
