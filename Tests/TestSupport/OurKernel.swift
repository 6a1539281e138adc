// Our kernel's profile as tests need it: the `contract:` of scenarios/profiles.yaml (what its
// exits and lines mean, docs/kernel-interface.md), one copy for every test target.
// KernelContractTests checks that it is still the contract scenarios/profiles.yaml gives.
public enum OurKernel {
    /// The `contract:` key with its fields, indented for a profile named at column 0.
    public static let contract = """
          contract:
            clean-exit: 33
            panic-exit: 37
            panic-line: "KERNEL PANIC:"
            panic-report-end: "end of panic report"
            panic-halt: {option: "panic=halt", line: "panic: halted"}
            panic-cpu-line: "/^cpu=([0-9]+) (stopped )?rip=/"
            cpus-online: "/^smp: ([0-9]+) CPUs online/"
            panic-defaults: false
            ktap-option: "ktest="
            diagnosis-variables:
              - Kernel.CPUs.count
              - Kernel.CPUs.onlineMask
              - Kernel.Scheduler.liveTasks
              - Kernel.Scheduler.deadAwaitingReap
              - Kernel.KernelStacks.outstanding
              - Kernel.Processes.live
              - Kernel.Processes.zombies
              - Kernel.memoryCounters
              - Kernel.CPUs.blocks
              - Kernel.cpuHeartbeats
              - Kernel.lockHolders
        """

    /// A profiles.yaml whose `default` profile is ours, booting `k.img` beside it.
    public static let profiles = "default:\n  kernel: k.img\n" + contract + "\n"
}
