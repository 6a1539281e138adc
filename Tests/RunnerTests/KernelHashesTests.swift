import Foundation
import Testing

@testable import Runner

@Suite struct KernelHashesTests {
    @Test func fileHashMatchesSha256sum() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Sizes around the 64-byte block and 56-byte padding boundaries, and several read chunks.
        for size in [0, 55, 56, 63, 64, 65, 3_000_001] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["sha256sum", path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(KernelHashes.sha256(ofFile: path) == String(text.prefix(64)), "size \(size)")
        }
        #expect(KernelHashes.sha256(ofFile: "/nonexistent/image") == nil)
    }
}
