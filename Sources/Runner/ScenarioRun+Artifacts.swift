// What a run leaves: its artifacts folder (claimed, written within the limit, emptied when it
// passed), the properties for the report, and a failed VM kept for a person with gdb.
import Foundation
import HostSystem
import KTAP
import KernelSymbols
import QEMUMachine
import QMP
import Scenario
import Trend

extension ScenarioRun {
    /// Creates `<name>-seed<N>[-r<repeat>]`, or with `.2`, `.3`, ... when a folder of that name
    /// is already there (an earlier failure rerun with the same seed): a passing rerun removes
    /// only its own folder, never the evidence of the failure it reran.
    func claimArtifactsFolder() -> String {
        let safeName = scenario.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        let repeatPart = request.attempt > 1 ? "-r\(request.attempt)" : ""
        let base = "\(options.artifactsDirectory)/\(String(safeName))-seed\(request.seed)\(repeatPart)"
        try? FileManager.default.createDirectory(atPath: options.artifactsDirectory, withIntermediateDirectories: true)
        for index in 1...1000 {
            let candidate = index == 1 ? base : "\(base).\(index)"
            if mkdir(candidate, 0o755) == 0 { return candidate }
            if errno != EEXIST {
                artifactProblems.append("\(SystemError("mkdir", detail: candidate))")
                break
            }
        }
        return base
    }

    /// Writes `text` to the artifact `name`, noting a failure instead of hiding it.
    func writeArtifact(_ name: String, _ text: String) {
        do {
            try text.write(toFile: "\(artifactsPath)/\(name)", atomically: true, encoding: .utf8)
        } catch {
            artifactProblems.append("\(name): \(fileErrorText(error))")
        }
    }

    public var rerunCommand: String {
        var words = [options.rerunPrefix, shellQuoted(scenario.file), "--seed", String(request.seed)]
        if let accel = options.accelerator { words += ["--accel", accel.rawValue] }
        if let qemu = options.qemuBinary { words += ["--qemu", shellQuoted(qemu)] }
        for directory in options.allowedDirectories { words += ["--allow-dir", shellQuoted(directory)] }
        if options.deterministic { words.append("--deterministic") }
        if options.record { words.append("--record") }
        return words.joined(separator: " ")
    }

    func properties(firstSerialLineAfter: Double?) -> [(name: String, value: String)] {
        var list: [(String, String)] = [("seed", String(request.seed))]
        let profile = scenario.machine(seed: request.seed)
        list.append(("vcpus", String(profile.vcpus)))
        list.append(("memory", "\(profile.memoryMiB)M"))
        list.append(("cmdline", profile.commandLine))
        if let machine {
            list.append(("qemu.version", machine.qemuVersion))
            list.append(("accelerator", machine.accelerator.description))
            list.append(("sandbox", machine.appliedSandbox.description))
        }
        if let kernel = profile.kernel {
            list.append(("kernel", kernel))
            list.append(("kernel.sha256", KernelHashes.shared.hash(of: kernel)))
        }
        list.append(("scenario.file", scenario.file))
        if let firstSerialLineAfter {
            // From the harness's start (not this run's): the figure a person waits for.
            list.append(("harness.first_serial_line_s", firstSerialLineAfter.fixed3))
        }
        return list
    }

    /// A passed run keeps nothing but what `keep` names (a trend plot); with nothing to keep,
    /// not even its folder.
    func removeArtifacts(keeping keep: [String]) {
        guard !keep.isEmpty else {
            try? FileManager.default.removeItem(atPath: artifactsPath)
            return
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: artifactsPath)) ?? [] where !keep.contains(name) {
            try? FileManager.default.removeItem(atPath: "\(artifactsPath)/\(name)")
        }
    }

    func writeArtifacts(_ result: RunResult) {
        var verdictText = """
            scenario: \(scenario.name) (\(scenario.file))
            seed: \(request.seed)
            status: \(result.verdict.status.rawValue) (\(result.verdict.kind.rawValue))
            watchdog: \(result.verdict.watchdog?.rawValue ?? "none")
            message: \(result.verdict.message)
            rerun: \(rerunCommand)

            """
        for detail in result.verdict.details { verdictText += detail + "\n" }
        // What a bug report needs besides the logs: kernel hash, QEMU version, machine, seed.
        verdictText += "\nrun:\n" + result.properties.map { "  \($0.name): \($0.value)" }.joined(separator: "\n") + "\n"
        verdictText += "\nlast serial lines:\n" + result.lastLines.map { "  " + $0 }.joined(separator: "\n") + "\n"
        writeArtifact("verdict.txt", verdictText)
        if let machine {
            writeArtifact("qmp.log", machine.qmp.transcript.text)
            writeArtifact("qemu.txt", machine.process.shellCommand + "\n\n" + machine.stderrTail)
        }
    }

    /// The kernel's symbols at its running addresses: slid by the offset its contract's
    /// `kaslr-offset` line gave, once the guest printed it.
    var kernelSymbols: SymbolMap? {
        guard let kernel = scenario.machine.kernel,
            let symbols = SymbolMapCache.shared.map(forImage: kernel, symbols: scenario.machine.symbols)
        else { return nil }
        return symbols.sliding(by: monitor?.kernelOffset ?? 0)
    }

    /// Lines of a symbolized guest backtrace kept in the verdict (the last ones: a panic
    /// report ends a log); serial.symbolized.log has them all.
    static let symbolizedDetailLines = 48

    /// The backtraces the guest printed with raw addresses, symbolized (BacktraceSymbolizer),
    /// for the verdict: the lines of the serial excerpt that hold code addresses. Empty without
    /// symbols or such lines.
    func symbolizedBacktraceDetails(_ result: RunResult) -> [String] {
        guard let symbols = kernelSymbols else { return [] }
        let symbolizer = BacktraceSymbolizer(symbols: symbols)
        let lines = (result.serialHead + result.serialTail).compactMap { symbolizer.symbolize($0.text) }
        guard !lines.isEmpty else { return [] }
        return ["guest backtrace symbolized (\(symbolsDescription(symbols))):"]
            + lines.suffix(Self.symbolizedDetailLines).map { "  " + $0 }
    }

    /// Where the symbols came from, and the KASLR offset when there is one.
    func symbolsDescription(_ symbols: SymbolMap) -> String {
        let file = SymbolMapCache.symbolsPath(forImage: scenario.machine.kernel ?? "", symbols: scenario.machine.symbols)
        return "symbols: \(file)" + (symbols.slide == 0 ? "" : ", KASLR offset 0x\(String(symbols.slide, radix: 16))")
    }

    /// A failed run's serial.log again, every code address followed by its symbol
    /// (serial.symbolized.log), when any line holds one; and the same lines at the end of
    /// diagnosis.txt, beside the diagnoser's own frames.
    func writeSymbolizedLog() {
        guard let symbols = kernelSymbols,
            let log = try? String(contentsOfFile: "\(artifactsPath)/serial.log", encoding: .utf8)
        else { return }
        let symbolizer = BacktraceSymbolizer(symbols: symbols)
        let (lines, changed) = symbolizer.symbolize(lines: log.components(separatedBy: "\n"))
        guard changed > 0 else { return }
        writeArtifact("serial.symbolized.log", lines.joined(separator: "\n"))
        let diagnosis = "\(artifactsPath)/diagnosis.txt"
        guard let handle = FileHandle(forWritingAtPath: diagnosis) else { return }
        defer { try? handle.close() }
        let printed = log.components(separatedBy: "\n").compactMap { symbolizer.symbolize($0) }
        let section =
            "\nbacktraces the guest printed, symbolized (\(symbolsDescription(symbols))):\n"
            + printed.suffix(Self.symbolizedDetailLines).map { "  " + $0 + "\n" }.joined()
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(section.utf8))
    }

    /// The command that attaches gdb to this VM with the kernel's symbols loaded.
    func gdbCommand(_ machine: QEMUMachine) -> String {
        guard let socket = machine.sockets.gdb else { return "(no gdbstub)" }
        // gdb reads ELF only: a System.map is no use to it.
        let image = machine.profile.kernel.map { SymbolMapCache.symbolsPath(forImage: $0, symbols: machine.profile.symbols) }
            .flatMap { (try? ELFImage(path: $0)) != nil ? $0 : nil }
        return "gdb \(image.map { shellQuoted($0) + " " } ?? "")-ex \(shellQuoted("target remote " + socket))"
    }

    /// --keep-vm-on-failure: the VM stays up for a person until Ctrl-C.
    func keepForInspection(_ machine: QEMUMachine) {
        let message = """
            harness: keeping the VM of \(scenario.name) (QEMU pid \(machine.qemuProcessID ?? machine.process.pid)) for inspection:
              gdb:     \(gdbCommand(machine))
              monitor: socat - UNIX-CONNECT:\(machine.sockets.humanMonitor ?? "(none)")
              press Ctrl-C to end it

            """
        FileHandle.standardError.write(message.data(using: .utf8)!)
        _ = try? reactor.run(until: { !machine.isRunning }, deadline: { nil })
    }
}
