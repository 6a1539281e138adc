// The host allocator's figures: the kernel heap core against glibc, measured by `heap-bench`
// (a release build of its own, Sources/HeapBench) and read here from its JSON.
import BenchReport
import Foundation

public enum HostAllocatorFigures {
    /// heap-bench's figures from `path`, or a note saying how to make them.
    public static func load(_ path: String) -> Measured {
        guard let data = FileManager.default.contents(atPath: path),
            let figures = try? JSONDecoder().decode([Figure].self, from: data)
        else {
            return Measured(notes: [
                "host allocator: \(path) missing or unreadable (`swift run -c release heap-bench --json \(path)`)"
            ])
        }
        return Measured(figures: figures)
    }
}
