// What the report says about the host: CPU model, cores, load average. (The process's own peak
// memory is HostSystem's PeakMemory.)
import Foundation

public enum HostFacts {
    public static var cpuModel: String {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) }
            ?? "unknown CPU"
    }

    public static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// The 1, 5 and 15 minute load averages.
    public static var loadAverage: [Double] {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }
}
