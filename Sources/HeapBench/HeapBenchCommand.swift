// heap-bench: the kernel heap (its core behind a per-CPU object cache, as kmalloc uses them)
// next to glibc malloc/free in one process, same patterns, ns per allocate+free pair per size,
// on one thread and on two sharing one heap. Run in release:
// `swift run -c release heap-bench [SIZE...] [--pattern pairs|batch] [--json PATH]`;
// `make bench` reads the JSON.

import ArgumentParser
import Foundation

@main
struct HeapBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heap-bench",
        abstract: "The kernel heap core against glibc malloc/free on the host, ns per allocate+free pair.",
        discussion:
            "Build it in release (`swift run -c release heap-bench`); `make bench` runs it with --json. See docs/performance.md.")

    @Argument(help: "Block sizes in bytes.")
    var sizes: [Int] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 16384]

    @Option(help: "Measure only this pattern: pairs or batch (handy under perf).")
    var pattern: Pattern?

    @Option(help: "Also write every row as a `make bench` figure to this JSON file.")
    var json: String?

    func validate() throws {
        if let bad = sizes.first(where: { $0 < 1 }) { throw ValidationError("size \(bad): must be at least 1") }
    }

    func run() throws {
        let patterns = pattern.map { [$0] } ?? Pattern.allCases
        let figures = HeapBenchPlan.run(sizes: sizes, patterns: patterns)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            guard FileManager.default.createFile(atPath: json, contents: try encoder.encode(figures)) else {
                throw ValidationError("cannot write \(json)")
            }
        }
    }
}

extension Pattern: ExpressibleByArgument {}
