// Profile → qemu-system-x86_64 arguments. QEMU starts paused (-S) and connects as a client to
// sockets the harness already listens on, so nothing the guest does is missed.

public enum QEMUCommandLine {
    /// Paths of the sockets QEMU connects to, inside the VM's private directory.
    public struct Sockets {
        public let qmp: String
        public let serial: String
        public let gdb: String?
        public let humanMonitor: String?
        /// Deterministic mode: the console's FIFOs (`<path>.in`, `<path>.out`) instead of `serial`.
        public var serialPipe: String?
        /// A recorded run's log and snapshot drive (ReplayRecording).
        public var replay: ReplayFiles?
        /// Replaying a recording: the console into this file, and no QMP monitor.
        public var consoleFile: String?

        public init(directory: String, gdb: Bool, humanMonitor: Bool = false) {
            qmp = directory + "/qmp.sock"
            serial = directory + "/serial.sock"
            self.gdb = gdb ? directory + "/gdb.sock" : nil
            self.humanMonitor = humanMonitor ? directory + "/monitor.sock" : nil
        }
    }

    public struct ReplayFiles {
        public var mode: ReplayRecording.Mode
        public var log: String
        public var drive: String
    }

    public static func arguments(
        for profile: MachineProfile, accelerator: AcceleratorChoice,
        sockets: Sockets
    ) -> [String] {
        var args = [
            profile.qemuBinary,
            "-S", "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none",
            "-accel", profile.schedule == nil ? accelerator.qemuArgument : DeterministicSchedule.accelerator,
            "-smp", String(profile.vcpus), "-m", "\(profile.memoryMiB)M",
        ]
        if let schedule = profile.schedule, let replay = sockets.replay {
            args += ReplayRecording.arguments(replay.mode, shift: schedule.shift, log: replay.log, drive: replay.drive)
            args += Array(schedule.qemuArguments.drop(while: { $0 != "-rtc" }))
        } else {
            args += profile.schedule?.qemuArguments ?? []
        }
        // vCPU threads named `CPU N/TCG` (`ALL CPUs/TCG` with one thread), so the harness can
        // find them in /proc to tell the host's starvation of a vCPU from a guest freeze.
        args += ["-name", "debug-threads=on"]
        if let cpu = profile.cpuModel { args += ["-cpu", cpu] }
        if let kernel = profile.kernel {
            args += ["-kernel", kernel]
            if !profile.commandLine.isEmpty { args += ["-append", profile.commandLine] }
            if !profile.modules.isEmpty { args += ["-initrd", profile.modules.joined(separator: ",")] }
        }
        if let file = sockets.consoleFile {
            args += ["-chardev", "file,id=serial0,path=\(file)", "-serial", "chardev:serial0"]
        } else if let pipe = sockets.serialPipe {
            args += ["-chardev", "pipe,id=serial0,path=\(pipe)", "-serial", "chardev:serial0"]
        } else {
            args += ["-chardev", "socket,id=serial0,path=\(sockets.serial)", "-serial", "chardev:serial0"]
        }
        if sockets.consoleFile == nil {
            args += ["-chardev", "socket,id=qmp0,path=\(sockets.qmp)", "-mon", "chardev=qmp0,mode=control"]
        }
        if let gdb = sockets.gdb {
            args += ["-chardev", "socket,id=gdb0,path=\(gdb),server=on,wait=off", "-gdb", "chardev:gdb0"]
        }
        if let monitor = sockets.humanMonitor {
            args += ["-chardev", "socket,id=hmp0,path=\(monitor),server=on,wait=off", "-mon", "chardev=hmp0,mode=readline"]
        }
        if profile.debugExit { args += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] }
        if profile.pvpanic { args += ["-device", "pvpanic", "-action", "panic=none"] }
        if profile.noReboot { args += ["-no-reboot"] }
        for device in profile.devices { args += ["-device", device] }
        return args + profile.extraArguments
    }
}
