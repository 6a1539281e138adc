// Builds one of the small assembly guests in Tests/Soaks (flood, reach, draw): gcc's
// preprocessor and assembler, then ld with the guests' shared link script, into an ELF that
// QEMU's multiboot loader boots.
import Foundation
import TestSupport

enum SoakGuest {
    struct BuildFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Assembles `Tests/Soaks/<source>` with `defines` (`NAME=VALUE`) and links it as `image`.
    static func build(_ source: String, into image: String, defines: [String] = []) throws {
        let soaks = KernelScenario.repository.appendingPathComponent("Tests/Soaks")
        let object = image + ".o"
        defer { try? FileManager.default.removeItem(atPath: object) }
        for arguments in [
            ["gcc", "-m32", "-c"] + defines.map { "-D\($0)" }
                + ["-x", "assembler-with-cpp", soaks.appendingPathComponent(source).path, "-o", object],
            [
                "ld", "-m", "elf_i386", "-T", soaks.appendingPathComponent("flood.ld").path, "--no-warn-rwx-segments",
                "-o", image, object,
            ],
        ] {
            let build = try Tool.run(arguments)
            if build.status != 0 { throw BuildFailed(description: "\(arguments.joined(separator: " ")): \(build.errors)") }
        }
    }
}
