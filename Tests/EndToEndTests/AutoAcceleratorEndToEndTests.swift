// `accel: auto` through the real harness on this host: it says once what it chose and why, and
// every run's report says it again. What it must choose is read from the host independently of
// the harness: no usable /dev/kvm → TCG with the device's error; kvm-pvm (a KVM that cannot
// emulate a guest's SSE store to its page tables) → TCG because the probe guest failed; any
// other KVM → KVM because the probe guest printed its line.
import Foundation
import Glibc
import SchemaCheck
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct AutoAcceleratorEndToEndTests {
    /// The start of what the harness must say here.
    static var expectedSummary: String {
        let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return "harness: accel auto: tcg (/dev/kvm: " }
        close(fd)
        if FileManager.default.fileExists(atPath: "/sys/module/kvm_pvm") {
            return "harness: accel auto: tcg (a probe guest under KVM did not print its line: KVM internal error"
        }
        return "harness: accel auto: kvm (a probe guest ran under KVM"
    }

    @Test func autoSaysOnceWhatItChoseAndWhyAndEveryRunRecordsIt() throws {
        let folder = try KernelScenario.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = try FloodGuest.build(.goodbye, records: 1, in: folder)
        for name in ["first", "second"] {
            try """
            machine: {kernel: \(image), accel: auto, vcpus: 1, memory: 32M}
            watchdogs: {silence: 60s, deadline: 120s}
            steps:
              - wait-serial: "goodbye: the last line"
            expect: {exit: 33}
            """.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
        }
        let junit = folder.appendingPathComponent("junit.xml").path
        let harness = try HarnessProcess([
            folder.path, "--jobs", "2", "--junit", junit,
            "--artifacts", folder.appendingPathComponent("artifacts").path,
        ])
        let status = harness.finish()
        #expect(status == 0, "\(harness.output)")
        let said = harness.output.split(separator: "\n").filter { $0.hasPrefix("harness: accel auto:") }
        #expect(said.count == 1, "\(harness.output)")
        let summary = try #require(said.first.map(String.init))
        #expect(summary.hasPrefix(Self.expectedSummary), "\(summary)")

        #expect(try SchemaValidator.problems(in: junit) == nil)
        let report = try String(contentsOfFile: junit, encoding: .utf8)
        // "harness: accel auto: tcg (why)" → the property "tcg (auto: why)".
        let chosen = summary.dropFirst("harness: accel auto: ".count)
        let property = chosen.prefix { $0 != " " } + " (auto: " + chosen.drop { $0 != "(" }.dropFirst()
        let escaped = property.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        #expect(
            report.components(separatedBy: "<property name=\"accelerator\" value=\"\(escaped)\"").count - 1 == 2,
            "both runs record the choice and its reason: \(report)")
    }
}
