// A real QEMU booting the real kernel with a gdbstub, for the live protocol tests and the
// cross-check with gdb.
import Foundation
import HostSystem
import QEMUMachine
import TestSupport

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let kernelImage = repositoryRoot + "/build/kernel/kernel.img"
let kernelELF = repositoryRoot + "/build/kernel/kernel.elf"

/// Boots `cmdline` on `vcpus` vCPUs and returns once a serial line contains `readyText`.
func bootKernel(cmdline: String, vcpus: Int, until readyText: String, reactor: Reactor) throws -> QEMUMachine {
    var profile = MachineProfile()
    profile.kernel = kernelImage
    profile.commandLine = cmdline
    profile.vcpus = vcpus
    profile.accelerator = .tcg
    profile.gdbStub = true
    let machine = try QEMUMachine.launch(profile, reactor: reactor, serialLog: nil)
    var seen = false
    machine.serial.onLine = { line in if line.text.contains(readyText) { seen = true } }
    try machine.resume()
    let deadline = MonotonicInstant.now.adding(seconds: 60)
    try reactor.run(until: { seen || !machine.isRunning }, deadline: { deadline })
    guard seen else { throw LiveKernelError("the kernel did not print \(readyText)") }
    return machine
}

struct LiveKernelError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs gdb in batch mode with `commands` against the kernel image and returns its stdout.
func runGDB(_ commands: [String]) throws -> String {
    try Tool.run(["gdb", "-batch", "-nx", kernelELF] + commands.flatMap { ["-ex", $0] }).output
}
