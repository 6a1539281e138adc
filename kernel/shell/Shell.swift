// A line-based command shell on the serial console, for scenario steps that talk to a running
// kernel. The COM1 interrupt gathers a line and wakes the shell task, which runs the command
// with interrupts on (commands may make cross-calls). Commands are listed by `help`.
import Hardware
import Synchronization

enum Shell {
    nonisolated(unsafe) static var buffer: InlineArray<128, UInt8> = .init(repeating: 0)
    nonisolated(unsafe) static var length = 0
    /// Complete lines waiting for the shell task: a ring of 16 lines of 128 bytes, filled by
    /// the interrupt (`queued` counts them), emptied by the task. `line` is the one being run.
    static let queueSlots = 16
    nonisolated(unsafe) static var queue: InlineArray<2048, UInt8> = .init(repeating: 0)
    nonisolated(unsafe) static var queueLengths: InlineArray<16, Int> = .init(repeating: 0)
    nonisolated(unsafe) static var queueHead = 0
    static let queued = Atomic<Int>(0)
    nonisolated(unsafe) static var line: InlineArray<128, UInt8> = .init(repeating: 0)
    nonisolated(unsafe) static var lineReady: WaitQueuePointer? = nil

    static func start() {
        lineReady = WaitQueue.make()
        guard Scheduler.spawn(shellTask, 0, on: 0, pinned: true) else { panic("no memory for the shell") }
        Serial.enableReceiveInterrupt()
        PIC.unmask(line: 4)
    }

    /// Called from the COM1 interrupt: gathers bytes; each complete line is queued for the
    /// shell task (only when 16 lines already wait is one dropped, with a message).
    static func serialInterrupt() {
        while let byte = Serial.receive() {
            if byte == 10 || byte == 13 {
                if length == 0 { continue }
                let n = queued.load(ordering: .acquiring)
                if n == queueSlots {
                    Console.line("shell: 16 lines already waiting; line dropped")
                } else {
                    let slot = (queueHead + n) % queueSlots
                    for i in 0..<length { queue[slot * 128 + i] = buffer[i] }
                    queueLengths[slot] = length
                    queued.wrappingAdd(1, ordering: .releasing)
                    if let q = lineReady { wakeAll(q) }
                }
                length = 0
            } else if length < 128 {
                buffer[length] = byte
                length += 1
            }
        }
    }

    private static func word(_ s: StaticString, count: Int) -> Bool {
        var n = 0
        while n < count && line[n] != UInt8(ascii: " ") { n += 1 }
        guard s.utf8CodeUnitCount == n else { return false }
        for i in 0..<n where s.utf8Start[i] != line[i] { return false }
        return true
    }

    /// The number after the command word, if any.
    private static func argument(count: Int) -> Int? {
        var i = 0
        while i < count && line[i] != UInt8(ascii: " ") { i += 1 }
        while i < count && line[i] == UInt8(ascii: " ") { i += 1 }
        guard i < count else { return nil }
        var value = 0
        while i < count, line[i] >= UInt8(ascii: "0"), line[i] <= UInt8(ascii: "9") {
            value = value * 10 + Int(line[i] - UInt8(ascii: "0"))
            i += 1
        }
        return i == count ? value : nil
    }

    static func run(count: Int) {
        if word("stats", count: count) {
            KernelMappings.flush()
            StatisticsLines.print()
        } else if word("settle", count: count) {
            Settle.memory(releaseHeapCache: true)
            StatisticsLines.print()
        } else if word("heartbeat", count: count) {
            Heartbeat.printLine()
        } else if word("shutdown", count: count) {
            Console.line("kernel: shutdown")
            Machine.exit(.success)
        } else if word("panic", count: count) {
            panic("requested from the shell")
        } else if word("crosscall", count: count) {
            CrossCall.runOnOthers(doNothing, 0)
            Console.line {
                $0.text("shell: crosscall answered by ")
                $0.dec(CPUs.onlineCount - 1)
                $0.text(" CPUs")
            }
        } else if word("halt-cpu", count: count) {
            guard let n = argument(count: count), n > 0, n < CPUs.count, CPUs.isOnline(n) else {
                Console.line("shell: usage: halt-cpu <n> (an online CPU other than 0)")
                return
            }
            CrossCall.run(on: 1 << UInt64(n), haltWithInterruptsOff, 0, waitForCompletion: false)
            Console.line {
                $0.text("shell: CPU ")
                $0.dec(n)
                $0.text(" halted with interrupts off")
            }
        } else if word("shootdown", count: count) {
            TLBShootdown.flushAll()
            Console.line {
                $0.text("shell: tlb shootdown answered by ")
                $0.dec(CPUs.onlineCount - 1)
                $0.text(" CPUs")
            }
        } else if word("steal", count: count) {
            guard let n = argument(count: count), n > 0, n <= 1000 else {
                Console.line("shell: usage: steal <n> (1 to 1000 threads)")
                return
            }
            stealBatch(n)
        } else if word("help", count: count) {
            Console.line("shell: commands: help stats settle heartbeat crosscall shootdown steal <n> halt-cpu <n> panic shutdown")
        } else {
            Console.line("shell: unknown command (try help)")
        }
    }
}

extension Shell {
    /// `steal <n>`: n threads queued round-robin on every online CPU, halted ones included; idle
    /// CPUs must steal what a halted CPU cannot run. Prints how many ran where.
    static func stealBatch(_ n: Int) {
        guard ThreadBatch.run(count: n, stealWorker, on: { CPUs.online(roundRobin: $0) }) else {
            panic("no memory for a steal thread")
        }
        // Keys: docs/kernel-interface.md, "Figure lines".
        Console.record("shell: steal") { l in
            l.field("threads", n)
            ThreadBatch.describe(l)
        }
    }
}

/// A little work, a yield (so a queue stays long enough to steal from), then done.
private let stealWorker: TaskEntry = { _ in
    var x: UInt64 = 1
    for i in 0..<20_000 { x = x &* 6364136223846793005 &+ UInt64(i) }
    if x == 0 { Console.line("unreachable") }
    Scheduler.yield()
    ThreadBatch.finishOne()
}

private let shellTask: TaskEntry = { _ in
    Console.line("shell: ready")
    while true {
        wait(on: Shell.lineReady!) { Shell.queued.load(ordering: .acquiring) != 0 }
        let slot = Shell.queueHead
        let count = Shell.queueLengths[slot]
        for i in 0..<count { Shell.line[i] = Shell.queue[slot * 128 + i] }
        Shell.queueHead = (slot + 1) % Shell.queueSlots
        Shell.queued.wrappingSubtract(1, ordering: .releasing)
        Shell.run(count: count)
    }
}
