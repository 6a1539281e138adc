// `auto` uses KVM only when /dev/kvm can really make a VM here; otherwise multi-threaded TCG.
// The choice and its reason go into the report.
import Glibc

public struct AcceleratorChoice: Equatable, CustomStringConvertible {
    public let accelerator: Accelerator
    public let reason: String

    /// Decides what `requested` means on this machine.
    public static func resolve(_ requested: Accelerator) -> AcceleratorChoice {
        switch requested {
        case .kvm: return AcceleratorChoice(accelerator: .kvm, reason: "asked for")
        case .tcg: return AcceleratorChoice(accelerator: .tcg, reason: "asked for")
        case .auto:
            if let problem = kvmProblem() {
                return AcceleratorChoice(accelerator: .tcg, reason: "auto: \(problem)")
            }
            return AcceleratorChoice(accelerator: .kvm, reason: "auto: /dev/kvm works")
        }
    }

    /// `-accel` value.
    public var qemuArgument: String { accelerator == .kvm ? "kvm" : "tcg,thread=multi" }

    public var description: String { "\(accelerator.rawValue) (\(reason))" }

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
