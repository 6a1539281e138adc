// Does KVM run a guest here? /dev/kvm opening is not enough: on a host whose KVM shadows guest
// page tables without a full instruction emulator (kvm-pvm), a guest stops with "KVM internal
// error ... emulation failure" at its first SSE store to a page table, after a silent boot. So
// `auto` boots a probe guest (ProbeGuest/accel-probe.S: long mode, paging, SSE, one line on COM1)
// under KVM, in the same sandbox as every VM, once per QEMU binary per harness process.
import Glibc
import HostSystem
import QMP
import Synchronization

public enum AcceleratorProbe {
    public enum Outcome: Equatable, Sendable {
        /// The guest printed its line, this many seconds after QEMU started.
        case printedLine(seconds: Double)
        /// Why it did not.
        case failed(String)
    }

    /// The line the probe guest prints (accel-probe.S).
    public static let line = "accel probe: long mode, paging and SSE work"
    /// How long the guest may take. A working KVM prints within a second; SeaBIOS alone takes
    /// about 15 s under kvm-pvm before the guest's first instruction.
    public static let deadline = 30.0

    /// Answers so far, by QEMU binary (a path).
    private static let answers = Mutex<[String: Outcome]>([:])

    /// What the probe guest did under KVM with `binary`; run once per binary per process (VM
    /// threads asking at the same time wait for the one answer).
    public static func outcome(forBinary binary: String) -> Outcome {
        answers.withLock { known in
            if let answer = known[binary] { return answer }
            let answer = run(binary)
            known[binary] = answer
            return answer
        }
    }

    private static func run(_ binary: String) -> Outcome {
        let folder: PrivateDirectory
        do {
            folder = try PrivateDirectory(prefix: "harness-accel-probe")
        } catch {
            return .failed("no folder for the probe guest (\(error))")
        }
        defer { folder.remove() }
        let image = folder.file("accel-probe.bin")
        do {
            try writeFile(image, ProbeGuestImage.bytes)
        } catch {
            return .failed("the probe guest could not be written (\(error))")
        }
        var profile = MachineProfile()
        profile.qemuBinary = binary
        profile.accelerator = .kvm
        profile.vcpus = 1
        profile.memoryMiB = 32
        profile.kernel = image
        profile.pvpanic = false
        let reactor = Reactor(observesInterrupts: true)
        let machine: QEMUMachine
        do {
            machine = try QEMUMachine.launch(profile, reactor: reactor, serialLog: nil)
        } catch {
            return .failed("QEMU under KVM did not start (\(error))")
        }
        defer { machine.shutdown() }
        var printedAt: Double?
        var stopped = false
        machine.serial.onLine = { if $0.text == line { printedAt = $0.time } }
        // KVM's internal errors stop the VM (a STOP event) and leave QEMU running.
        machine.qmp.onEvent = { if $0.name == "STOP" { stopped = true } }
        let end = machine.startedAt.adding(seconds: deadline)
        do {
            try machine.resume()
            try reactor.run(until: { printedAt != nil || stopped || !machine.isRunning }, deadline: { end })
        } catch {
            return .failed("\(error)")
        }
        if let printedAt { return .printedLine(seconds: printedAt) }
        let said = machine.stderrTail.split(separator: "\n").map(String.init)
            .filter { $0.contains("KVM") || $0.contains("emulation failure") }
        if !said.isEmpty { return .failed(said.prefix(2).joined(separator: ", ")) }
        if stopped { return .failed("the VM stopped before the line") }
        if let status = machine.exitStatus { return .failed("QEMU ended (\(status)) before the line") }
        return .failed("no line within \(Int(deadline)) s")
    }

    private static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw SystemError("open", detail: path) }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written != bytes.count { throw SystemError("write", detail: path) }
    }
}
