// What QEMU's sandbox (QEMUSandbox: the bubblewrap view and seccomp) costs per VM launch: a
// bare paused VM (no kernel) launched to QMP ready, alternately with the full sandbox and
// without any, `count` pairs; the samples are the pairs' differences.
import BenchReport
import HostSystem
import QEMUMachine

public enum SandboxCost {
    public static func figure(count: Int) -> Figure? {
        var profile = MachineProfile()
        profile.accelerator = .tcg
        profile.vcpus = 1
        profile.memoryMiB = 32
        func launchSeconds(_ level: QEMUSandbox.Level) -> Double? {
            let started = MonotonicInstant.now
            guard
                let machine = try? QEMUMachine.launch(
                    profile, reactor: Reactor(observesInterrupts: false), serialLog: nil,
                    sandbox: level)
            else { return nil }
            let seconds = MonotonicInstant.now.seconds(since: started)
            let applied = machine.appliedSandbox
            machine.shutdown()
            return level == .full && applied != .full ? nil : seconds
        }
        _ = launchSeconds(.full)  // the one-time probe of bubblewrap, outside the figure
        var differences: [Double] = []
        for _ in 0..<count {
            guard let sandboxed = launchSeconds(.full), let bare = launchSeconds(.off) else { return nil }
            differences.append((sandboxed - bare) * 1000)
        }
        return Figure(
            group: "harness", name: "sandbox cost per VM launch (bubblewrap view + seccomp)", unit: "ms",
            better: .lower, vcpus: 1, accelerator: "tcg", samples: differences,
            note: "launch to QMP ready of a bare paused VM, sandboxed minus not, in pairs")
    }
}
