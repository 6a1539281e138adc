// What a guest can see of the host, from inside (docs/security.md): the reach guest, booted by
// the real harness in its sandbox with a busy but accepted machine (four PCI devices, two
// modules, one of them through a symlink inside the tree), prints every module, option ROM, PCI
// function, fw_cfg file and IDE drive. Exactly what the scenario asked for is there, and a
// canary file beside the scenario root never reaches the guest or the report.
import Foundation
import SchemaCheck
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct ReachEndToEndTests {
    /// i440FX's own functions (`-machine pc`): host bridge, PIIX3 ISA bridge, IDE, ACPI/PM.
    static let chipset = ["8086:1237", "8086:7000", "8086:7010", "8086:7113"]
    /// The devices the scenario names, as vendor:device.
    static let asked = ["e1000": "8086:100e", "virtio-rng-pci": "1af4:1005", "pci-testdev": "1b36:0005", "edu": "1234:11e8"]

    @Test func guestSeesWhatTheScenarioAskedForAndNothingOfTheHost() throws {
        let outer = FileManager.default.temporaryDirectory.appendingPathComponent(
            "e2e-reach-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let root = outer.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("modules"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outer) }
        let marker = "CANARY-\(UUID().uuidString)"
        try String(repeating: marker + "\n", count: 64).write(
            to: outer.appendingPathComponent("canary.txt"), atomically: true, encoding: .utf8)

        let image = try ReachGuest.build(in: root)
        let one = Data("module one: plain text for the guest to show\n".utf8)
        let two = Data((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        try one.write(to: root.appendingPathComponent("modules/one.txt"))
        try two.write(to: root.appendingPathComponent("modules/two.bin"))
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("modules/link").path, withDestinationPath: "two.bin")
        try "default: {accel: tcg, vcpus: 1, memory: 32M}\n".write(
            to: root.appendingPathComponent("profiles.yaml"), atomically: true, encoding: .utf8)
        try """
        machine:
          kernel: \(URL(fileURLWithPath: image).lastPathComponent)
          modules: [modules/one.txt, modules/link]
          devices: [\(Self.asked.keys.sorted().joined(separator: ", "))]
        watchdogs: {silence: 30s, deadline: 90s}
        steps:
          - wait-serial: "reach: end"
        expect: {exit: 33}
        """.write(to: root.appendingPathComponent("reach.yaml"), atomically: true, encoding: .utf8)

        let junit = outer.appendingPathComponent("junit.xml").path
        let harness = try HarnessProcess([
            root.path, "--junit", junit, "--artifacts", outer.appendingPathComponent("artifacts").path,
        ])
        let status = harness.finish()
        #expect(status == 0, "\(harness.output)")
        #expect(try SchemaValidator.problems(in: junit) == nil)
        let report = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(report.contains("<property name=\"sandbox\" value=\"bubblewrap"), "QEMU ran in its private view")
        #expect(!report.contains(marker) && !harness.output.contains(marker), "the canary reached the guest or the report")
        // A passing run's serial log is its report's system-out.
        let text = ["&lt;": "<", "&gt;": ">", "&quot;": "\"", "&apos;": "'"].reduce(
            report.replacingOccurrences(of: "</system-out>", with: "\n")
        ) {
            $0.replacingOccurrences(of: $1.key, with: $1.value)
        }.replacingOccurrences(of: "&amp;", with: "&")
        let records = ReachGuest.records(text.components(separatedBy: "\n"))
        #expect(records.last?.kind == "end", "the guest got to its end: \(report)")

        // Modules: the two named (the second through its symlink), each whole, nothing else.
        let modules = records.filter { $0.kind == "module" }
        #expect(records.first { $0.kind == "modules" }?.fields["modules"] == "00000002")
        #expect(modules.count == 2, "\(modules)")
        for (record, data) in zip(modules, [one, two]) {
            #expect(Int(record.fields["size"] ?? "", radix: 16) == data.count, "\(record)")
            let shown = String(data.prefix(32).map { (0x20...0x7e).contains($0) ? Character(UnicodeScalar($0)) : "." })
            #expect(record.fields["first"] == shown, "\(record)")
        }

        // PCI: the chipset and the four devices asked for, once each.
        let pci = records.filter { $0.kind == "pci" }.map { "\($0.fields["vendor"] ?? "?"):\($0.fields["device"] ?? "?")" }
        #expect(pci.sorted() == (Self.chipset + Self.asked.values).sorted(), "\(pci)")

        // fw_cfg: QEMU's generated tables and its own two ROMs; no file given from outside
        // (`opt/...`, another `genroms/...`).
        let files = records.filter { $0.kind == "fw_cfg" }
        let generatedROMs = ["genroms/kvmvapic.bin", "genroms/multiboot_dma.bin"]
        for file in files {
            let name = file.fields["name"] ?? ""
            #expect(
                name.hasPrefix("etc/") || ["bios-geometry", "bootorder"].contains(name) || generatedROMs.contains(name), "\(name)"
            )
        }
        // Option ROMs below the system BIOS (0xE0000 up is SeaBIOS's own image): QEMU's two,
        // and e1000's (the only device asked for that has one), nothing more.
        let romSizes = records.filter { $0.kind == "rom" && Int($0.fields["at"] ?? "", radix: 16).map { $0 < 0xE0000 } == true }
            .compactMap { $0.fields["size"] }
        let generatedSizes = files.filter { generatedROMs.contains($0.fields["name"] ?? "") }.compactMap { $0.fields["size"] }
        #expect(generatedSizes.count == 2)
        #expect(romSizes.count == generatedSizes.count + 1, "\(romSizes) against \(generatedSizes) and e1000's")
        #expect(generatedSizes.allSatisfy(romSizes.contains), "\(romSizes) against \(generatedSizes)")

        // No disk: every IDE position answers IDENTIFY with status 0 (no drive).
        let drives = records.filter { $0.kind == "ata" }
        #expect(drives.count == 4)
        #expect(drives.allSatisfy { $0.fields["status"] == "00" }, "\(drives)")
    }
}
