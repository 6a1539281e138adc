// What a VM is made of. Scenario files fill this in (from a shared profile, then their own
// `machine:` keys); QEMUCommandLine turns it into arguments.

public enum Accelerator: String, CaseIterable {
    /// KVM when /dev/kvm works, otherwise multi-threaded TCG.
    case auto
    case kvm
    case tcg
}

public struct MachineProfile: Equatable {
    public var qemuBinary = "qemu-system-x86_64"
    public var vcpus = 4
    public var memoryMiB = 128
    public var accelerator = Accelerator.auto
    /// `-cpu` model; nil leaves QEMU's default.
    public var cpuModel: String?
    /// Multiboot kernel image (`-kernel`).
    public var kernel: String?
    /// `symbols`: the kernel's symbols (an ELF64 with symbols, a `vmlinux`, or a System.map);
    /// nil: found beside the kernel by SymbolMapCache's naming rule.
    public var symbols: String?
    /// Multiboot modules (`-initrd a,b`).
    public var modules: [String] = []
    /// Kernel command line (`-append`), after `{seed}` substitution.
    public var commandLine = ""
    /// Extra `-device` values.
    public var devices: [String] = []
    /// Anything else, appended verbatim.
    public var extraArguments: [String] = []
    /// `isa-debug-exit` at 0xf4: the guest ends the run with an exit status.
    public var debugExit = true
    /// `pvpanic`: the guest's panic reaches QMP as GUEST_PANICKED.
    public var pvpanic = true
    /// `-no-reboot`: a triple fault ends QEMU (SHUTDOWN guest-reset) instead of rebooting.
    public var noReboot = true
    /// A gdbstub on a UNIX socket in the VM's private directory (used by hang diagnosis).
    public var gdbStub = false
    /// A human monitor (HMP) listening in the VM's private directory, for a person to attach.
    public var humanMonitor = false
    /// `machine: {mode: deterministic}`: one host thread and icount (DeterministicOptions.swift).
    public var mode = MachineMode.standard
    /// The deterministic schedule of this run (set from the seed when `mode` is deterministic).
    public var schedule: DeterministicSchedule?
    /// Deterministic mode on one vCPU: QEMU records the run for replay under gdb (`--record`,
    /// ReplayRecording).
    public var record = false
    /// `schedule-cmdline`: appended to the kernel command line in deterministic mode, with
    /// `{schedule}` replaced by the schedule's salt (the kernel's own schedule knobs).
    public var scheduleCommandLine = ""

    public init() {}
}
