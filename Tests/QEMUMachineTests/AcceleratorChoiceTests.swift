// `accel: auto` as a function of what was found (/dev/kvm, the probe guest under KVM), and the
// probe guest itself: the bytes the harness embeds are the checked-in source's, and they run.
import Foundation
import HostSystem
import TestSupport
import Testing

@testable import QEMUMachine

@Suite(.serialized, .timeLimit(.minutes(2))) struct AcceleratorChoiceTests {
    @Test func askedForIsTakenAsAsked() {
        let kvm = AcceleratorChoice.choose(.kvm, kvmProblem: "/dev/kvm: No such file or directory", probe: nil)
        #expect(kvm == AcceleratorChoice(accelerator: .kvm, reason: "asked for"))
        let tcg = AcceleratorChoice.choose(.tcg, kvmProblem: nil, probe: .printedLine(seconds: 0.2))
        #expect(tcg.qemuArgument == "tcg,thread=multi")
        #expect(tcg.description == "tcg (asked for)")
    }

    @Test func autoWithoutAWorkingDeviceIsTCGSayingWhy() {
        let choice = AcceleratorChoice.choose(.auto, kvmProblem: "/dev/kvm: No such file or directory", probe: nil)
        #expect(choice.accelerator == .tcg)
        #expect(choice.autoSummary == "accel auto: tcg (/dev/kvm: No such file or directory)")
    }

    @Test func autoIsTCGWhenTheProbeGuestFailsUnderKVM() {
        let choice = AcceleratorChoice.choose(
            .auto, kvmProblem: nil,
            probe: .failed("KVM internal error. Suberror: 1, emulation failure"))
        #expect(choice.accelerator == .tcg)
        #expect(choice.qemuArgument == "tcg,thread=multi")
        #expect(
            choice.description
                == "tcg (auto: a probe guest under KVM did not print its line: KVM internal error. Suberror: 1, emulation failure)"
        )
        #expect(
            choice.autoSummary
                == "accel auto: tcg (a probe guest under KVM did not print its line: KVM internal error. Suberror: 1, emulation failure)"
        )
    }

    @Test func autoIsKVMOnlyWhenTheProbeGuestPrintedItsLine() {
        let choice = AcceleratorChoice.choose(.auto, kvmProblem: nil, probe: .printedLine(seconds: 0.42))
        #expect(choice.accelerator == .kvm)
        #expect(choice.qemuArgument == "kvm")
        #expect(choice.autoSummary == "accel auto: kvm (a probe guest ran under KVM (its line after 0.4 s))")
        #expect(AcceleratorChoice.choose(.auto, kvmProblem: nil, probe: nil).accelerator == .tcg)
    }

    static let guestFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/QEMUMachine/ProbeGuest").standardized

    @Test func embeddedProbeGuestIsWhatItsSourceAssemblesTo() throws {
        let folder = try PrivateDirectory(prefix: "probe-guest-test")
        defer { folder.remove() }
        let object = folder.file("probe.o")
        let image = folder.file("probe.bin")
        let assemble = try Tool.run([
            "gcc", "-m32", "-c", "-x", "assembler-with-cpp",
            Self.guestFolder.appendingPathComponent("accel-probe.S").path, "-o", object,
        ])
        #expect(assemble.status == 0, "\(assemble.errors)")
        let link = try Tool.run([
            "ld", "-m", "elf_i386", "-T", Self.guestFolder.appendingPathComponent("accel-probe.ld").path,
            "-o", image, object,
        ])
        #expect(link.status == 0, "\(link.errors)")
        let built = [UInt8](try Data(contentsOf: URL(fileURLWithPath: image)))
        #expect(built == ProbeGuestImage.bytes, "run `make probe-guest` and commit ProbeGuestImage.swift")
    }

    @Test func probeGuestPrintsItsLineAndExitsUnderTCG() throws {
        let folder = try PrivateDirectory(prefix: "probe-guest-test")
        defer { folder.remove() }
        let image = folder.file("accel-probe.bin")
        try Data(ProbeGuestImage.bytes).write(to: URL(fileURLWithPath: image))
        var profile = MachineProfile()
        profile.accelerator = .tcg
        profile.vcpus = 1
        profile.memoryMiB = 32
        profile.kernel = image
        let reactor = Reactor(observesInterrupts: false)
        let machine = try QEMUMachine.launch(profile, reactor: reactor, serialLog: nil)
        var lines: [String] = []
        machine.serial.onLine = { lines.append($0.text) }
        try machine.resume()
        let status = try machine.waitForExit(timeout: 60)
        machine.shutdown()
        #expect(status == .exited(33), "isa-debug-exit with 0x10")
        #expect(lines == [AcceleratorProbe.line])
    }
}
