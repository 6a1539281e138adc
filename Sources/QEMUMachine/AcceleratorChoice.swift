// `auto` uses KVM only when /dev/kvm can make a VM here and a probe guest ran under it (long
// mode, paging, SSE: what a kernel does first; AcceleratorProbe); otherwise multi-threaded TCG.
// The choice and its reason go into the report.
import Glibc
import HostSystem

public struct AcceleratorChoice: Equatable, CustomStringConvertible {
    public let accelerator: Accelerator
    public let reason: String

    /// Decides what `requested` means on this machine; `auto` asks the probe of `qemuBinary`
    /// (a path; run once per binary per harness process).
    public static func resolve(_ requested: Accelerator, qemuBinary: String) -> AcceleratorChoice {
        switch requested {
        case .kvm, .tcg: return choose(requested, kvmProblem: nil, probe: nil)
        case .auto:
            let problem = kvmProblem()
            return choose(
                .auto, kvmProblem: problem,
                probe: problem == nil ? AcceleratorProbe.outcome(forBinary: qemuBinary) : nil)
        }
    }

    /// The choice as a function of what was found: `kvmProblem` is why /dev/kvm cannot make a VM
    /// (nil: it can), `probe` what the probe guest did under KVM (asked only when it can).
    public static func choose(
        _ requested: Accelerator, kvmProblem: String?,
        probe: AcceleratorProbe.Outcome?
    ) -> AcceleratorChoice {
        switch requested {
        case .kvm: return AcceleratorChoice(accelerator: .kvm, reason: "asked for")
        case .tcg: return AcceleratorChoice(accelerator: .tcg, reason: "asked for")
        case .auto:
            if let kvmProblem { return AcceleratorChoice(accelerator: .tcg, reason: "auto: \(kvmProblem)") }
            switch probe {
            case .printedLine(let seconds)?:
                return AcceleratorChoice(
                    accelerator: .kvm,
                    reason: "auto: a probe guest ran under KVM (its line after \(seconds.fixed1) s)")
            case .failed(let why)?:
                return AcceleratorChoice(
                    accelerator: .tcg,
                    reason: "auto: a probe guest under KVM did not print its line: \(why)")
            case nil:
                return AcceleratorChoice(accelerator: .tcg, reason: "auto: KVM was not tried")
            }
        }
    }

    /// `-accel` value.
    public var qemuArgument: String { accelerator == .kvm ? "kvm" : "tcg,thread=multi" }

    public var description: String { "\(accelerator.rawValue) (\(reason))" }

    /// What the harness prints once for `auto`: `accel auto: tcg (why)`.
    public var autoSummary: String {
        let why = reason.hasPrefix("auto: ") ? String(reason.dropFirst(6)) : reason
        return "accel auto: \(accelerator.rawValue) (\(why))"
    }

    /// nil when KVM can create a VM; otherwise why not.
    private static func kvmProblem() -> String? {
        let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return "/dev/kvm: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        let kvmGetAPIVersion: UInt = 0xAE00
        let kvmCreateVM: UInt = 0xAE01
        let version = ioctl(fd, kvmGetAPIVersion, 0)
        guard version == 12 else { return "/dev/kvm API version \(version), expected 12" }
        let vm = ioctl(fd, kvmCreateVM, 0)
        guard vm >= 0 else { return "KVM_CREATE_VM: \(String(cString: strerror(errno)))" }
        close(vm)
        return nil
    }
}
