// heap-bench's output: the table's columns and each row as a `make bench` figure.

import BenchReport

extension Samples {
    var text: String { "\(format(median, 7)) [\(format(minimum, 1))-\(format(maximum, 1))]" }
}

func format(_ value: Double, _ width: Int, decimals: Int = 1) -> String {
    var scaled = (value * 10).rounded() / 10
    if decimals == 2 { scaled = (value * 100).rounded() / 100 }
    var text = "\(scaled)"
    if decimals == 2, let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) == 2 { text += "0" }
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }

/// One row as a `make bench` figure: the core's samples, glibc as its peer.
func figure(size: Int, pattern: String, threads: Int, core: Samples, glibc: Samples) -> Figure {
    var figure = Figure(
        group: "host allocator", name: "alloc+free \(size) B, \(pattern), \(threads) thread\(threads == 1 ? "" : "s")",
        unit: "ns", better: .lower, accelerator: "host", samples: core.values)
    figure.compare(with: "glibc", median: glibc.median)
    if size <= 256 { figure.requireRatio(atLeast: 1) }
    return figure
}
