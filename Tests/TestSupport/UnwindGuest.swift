// Builds the unwind test guest (Tests/UnwindGuest: a multiboot boot stub and a C call chain)
// with gcc and ld, in three variants: with frame pointers and no unwind tables, and without
// frame pointers with .eh_frame or with .debug_frame. Each is an ELF64 with symbols beside the
// ELF32 copy QEMU's multiboot loader takes (`unwind-<variant>.elf` / `.img`), in
// build/unwind-guest/ of the repository, built once per test process.
import Foundation

public enum UnwindGuest: String, CaseIterable, Sendable {
    case framePointer = "fp"
    case ehFrame = "eh-frame"
    case debugFrame = "debug-frame"

    /// The call chain from the spinning function outwards, as symbols name it.
    public static let chain = ["deepest", "inner", "middle", "outer", "guest_main", "long_mode_entry"]
    /// The line the guest prints once it spins in `deepest`.
    public static let spinningLine = "unwind guest: spinning in deepest"

    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    public struct BuildFailed: Error, CustomStringConvertible {
        public let description: String
    }

    /// (ELF64 with symbols, ELF32 boot image) of this variant, built if not yet.
    public func build() throws -> (elf: String, image: String) {
        try Self.lock.withLock {
            let folder = Self.repository.appendingPathComponent("build/unwind-guest")
            let elf = folder.appendingPathComponent("unwind-\(rawValue).elf").path
            let image = folder.appendingPathComponent("unwind-\(rawValue).img").path
            if Self.built.contains(self) { return (elf, image) }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let source = Self.repository.appendingPathComponent("Tests/UnwindGuest")
            let (cFlags, asmFlags): ([String], [String])
            switch self {
            case .framePointer:
                cFlags = ["-fno-omit-frame-pointer", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"]
                asmFlags = []
            case .ehFrame:
                cFlags = ["-fomit-frame-pointer", "-fasynchronous-unwind-tables"]
                asmFlags = ["-DWITH_CFI"]
            case .debugFrame:
                // -g without unwind tables: GCC puts the CFI in .debug_frame only.
                cFlags = ["-fomit-frame-pointer", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-g"]
                asmFlags = ["-DWITH_CFI", "-DCFI_IN_DEBUG_FRAME"]
            }
            let chainObject = folder.appendingPathComponent("chain-\(rawValue).o").path
            let bootObject = folder.appendingPathComponent("boot-\(rawValue).o").path
            try Self.tool(
                [
                    "gcc", "-m64", "-O2", "-ffreestanding", "-nostdlib", "-mno-red-zone", "-fno-pic", "-fno-stack-protector",
                    "-mgeneral-regs-only", "-fcf-protection=none",
                ] + cFlags + ["-c", source.appendingPathComponent("chain.c").path, "-o", chainObject])
            try Self.tool(
                ["gcc", "-m64"] + asmFlags + [
                    "-c", "-x", "assembler-with-cpp", source.appendingPathComponent("boot.S").path, "-o", bootObject,
                ])
            try Self.tool([
                "ld", "-m", "elf_x86_64", "-nostdlib", "--no-warn-rwx-segments", "-T",
                source.appendingPathComponent("guest.ld").path, "-o", elf, bootObject, chainObject,
            ])
            try Self.tool(["objcopy", "-O", "elf32-i386", elf, image])
            Self.built.insert(self)
            return (elf, image)
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: Set<UnwindGuest> = []

    private static func tool(_ arguments: [String]) throws {
        let result = try Tool.run(arguments)
        if result.status != 0 { throw BuildFailed(description: "\(arguments.joined(separator: " ")): \(result.errors)") }
    }
}
