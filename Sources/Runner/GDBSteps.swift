// Performs a scenario's `gdb:` steps over one connection to the VM's gdbstub, opened by the
// first such step. Every stop the steps cause is announced to the run monitor first, so its
// STOP event is the scenario's own (silence watchdogs pause) and not QEMU halting by itself.
import Diagnosis
import GDBRemote
import KernelSymbols
import QEMUMachine
import Scenario

final class GDBSteps {
    private let machine: QEMUMachine
    private let monitor: RunMonitor
    private var client: GDBClient?
    private var stopped = false
    /// The vCPU of the last stop reply: `step` acts on it.
    private var lastThread = GDBThreadID(thread: 1)

    init(machine: QEMUMachine, monitor: RunMonitor) {
        self.machine = machine
        self.monitor = monitor
    }

    /// Returns a failure message when the step could not do what it says.
    func perform(_ step: GDBStep, timeout: Double) throws -> String? {
        guard
            let symbols = machine.profile.kernel.flatMap({
                SymbolMapCache.shared.map(forImage: $0, symbols: machine.profile.symbols)
            })?.sliding(by: monitor.kernelOffset ?? 0)
        else {
            return "no kernel symbols"
        }
        // Connecting stops the machine; a read or write on a machine that ran before the step
        // (connection or not) lets it run again afterwards.
        let wasRunning = client == nil || !stopped
        let client = try connected()
        switch step {
        case .stop:
            try stop(client)
        case .resume:
            try resume(client)
        case .step:
            try stop(client)
            monitor.stopsRequested += 1
            try client.select(lastThread)
            note(try client.step(timeout: timeout))
        case .breakAt(let name, let hardware, let within):
            guard let symbol = symbols.lookup(name) else { return "the kernel image has no symbol \(name)" }
            try stop(client)
            let kind: GDBClient.BreakpointKind = hardware ? .hardware : .software
            try client.insertBreakpoint(kind, at: symbol.address)
            monitor.stopsRequested += 1
            try client.resume()
            stopped = false
            let limit = within ?? timeout
            let reply: StopReply
            do {
                reply = try client.waitForStop(timeout: limit)
            } catch GDBError.timedOut {
                monitor.stopsRequested -= 1
                try stop(client)
                try client.removeBreakpoint(kind, at: symbol.address)
                return "no vCPU reached \(name) within \(limit)s"
            }
            stopped = true
            note(reply)
            try client.removeBreakpoint(kind, at: symbol.address)
        case .read(let name, let capture):
            try stop(client)
            let words = try KernelVariables(symbols: symbols, client: client).words(name)
            monitor.store("\(capture).value", Int64(bitPattern: words.first ?? 0))
            for (index, word) in words.enumerated() { monitor.store("\(capture).\(index)", Int64(bitPattern: word)) }
            if wasRunning { try resume(client) }
        case .write(let name, let index, let value):
            guard let symbol = symbols.lookup(name) else { return "the kernel image has no symbol \(name)" }
            try stop(client)
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
            try client.writeMemory(symbol.address + UInt64(index * 8), bytes)
            if wasRunning { try resume(client) }
        }
        return nil
    }

    /// Lets go of the stub (the hang diagnosis needs it: QEMU serves one debugger at a time).
    func close() {
        client?.close()
        client = nil
    }

    private func connected() throws -> GDBClient {
        if let client { return client }
        guard let path = machine.sockets.gdb else { throw GDBError.connectionClosed("this VM has no gdbstub") }
        // QEMU stops the machine when a debugger connects.
        monitor.stopsRequested += 1
        let client = try GDBClient(socketPath: path, reactor: machine.reactor)
        note(try client.stopReason())
        stopped = true
        self.client = client
        return client
    }

    private func stop(_ client: GDBClient) throws {
        guard !stopped else { return }
        monitor.stopsRequested += 1
        note(try client.interrupt())
        stopped = true
    }

    private func resume(_ client: GDBClient) throws {
        guard stopped else { return }
        try client.resume()
        stopped = false
    }

    private func note(_ reply: StopReply) {
        if case .signal(_, let thread?, _) = reply { lastThread = thread }
    }
}
