// Workloads chosen on the command line (`storm=exit|kill|churn|steal|speedup count=N`, `storm=mixed
// duration_ms=N`), for scenarios
// that load the kernel and then check, from the serial line alone, that nothing leaked. Each
// prints `storm: start ...`, settled memory lines, runs, settles again and prints
// `storm: done ...` followed by the memory lines; then the shell takes over. Everything random
// comes from the `seed=` option.
import Hardware
import Synchronization

enum StormKind { case exit, kill, churn, steal, speedup, mixed, badInput }

enum Storms {
    static func run(_ kind: StormKind, count: Int, durationMilliseconds: UInt64) {
        if kind == .steal || kind == .speedup || kind == .mixed { ThreadBatch.prepare() }  // before the baseline
        settle()
        // Keys of the storm lines: docs/kernel-interface.md, "Figure lines".
        Console.record("storm: start") { l in
            l.field("kind", name(kind))
            l.field("count", count)
            l.field("cpus", CPUs.onlineCount)
        }
        StatisticsLines.print()
        let start = Clock.microsecondsSinceBoot
        var failures = 0
        switch kind {
        case .exit: failures = exitStorm(count)
        case .kill: failures = killStorm(count)
        case .churn: churn(count)
        case .steal: stealStorm(count)
        case .speedup: Speedup.run(threads: count)
        case .mixed: failures = mixed(milliseconds: durationMilliseconds)
        case .badInput: failures = badInput(count)
        }
        let elapsed = Clock.microsecondsSince(start)
        settle()
        Console.record("storm: done") { l in
            l.field("kind", name(kind))
            l.field("count", count)
            l.field("failures", failures)
            l.field("elapsed_ms", elapsed / 1000)
            l.field("per_s", elapsed == 0 ? 0 : UInt64(count) * 1_000_000 / elapsed)
        }
        StatisticsLines.print()
    }

    static func name(_ k: StormKind) -> StaticString {
        switch k {
        case .exit: return "exit"
        case .kill: return "kill"
        case .churn: return "churn"
        case .steal: return "steal"
        case .speedup: return "speedup"
        case .mixed: return "mixed"
        case .badInput: return "badinput"
        }
    }

    /// Waits until no process is left, then settles memory with the heap's cache returned too,
    /// so the memory lines (free frames included) compare exactly.
    static func settle() {
        TickWait.wait(milliseconds: 10_000) {
            Scheduler.deadAwaitingReap.load(ordering: .relaxed) == 0 && Processes.live.load(ordering: .relaxed) == 0
        }
        Settle.memory(releaseHeapCache: true)
    }

    private static func randomCPU() -> Int {
        var c = Int(KernelRandom.generator.next(below: UInt64(CPUs.count)))
        while !CPUs.isOnline(c) { c = (c + 1) % CPUs.count }
        return c
    }

    /// Processes that end themselves (`exit0`), in seeded batches over random CPUs.
    private static func exitStorm(_ count: Int) -> Int {
        var pids: InlineArray<32, Int> = .init(repeating: 0)
        var done = 0
        var failures = 0
        while done < count {
            let n = min(count - done, 1 + Int(KernelRandom.generator.next(below: 32)))
            for i in 0..<n { pids[i] = Processes.spawn("exit0", argument: UInt64(i), on: randomCPU()) }
            for i in 0..<n where pids[i] <= 0 || Processes.wait(pids[i], parent: 0) != i { failures += 1 }
            done += n
        }
        return failures
    }

    /// Processes ended by another CPU: `spin` started on one CPU, killed from this one.
    private static func killStorm(_ count: Int) -> Int {
        var pids: InlineArray<16, Int> = .init(repeating: 0)
        var done = 0
        var failures = 0
        while done < count {
            let n = min(count - done, 1 + Int(KernelRandom.generator.next(below: 16)))
            for i in 0..<n { pids[i] = Processes.spawn("spin", argument: KernelRandom.generator.next(below: 2), on: randomCPU()) }
            if KernelRandom.generator.next(below: 2) == 0 { Scheduler.yield() }
            for i in 0..<n where pids[i] <= 0 || Processes.kill(pids[i]) != 0 { failures += 1 }
            for i in 0..<n where pids[i] > 0 && Processes.wait(pids[i], parent: 0) != ExitStatus.killed { failures += 1 }
            done += n
        }
        return failures
    }

    /// Swift arrays, dictionaries and class instances allocated and released, `count` rounds.
    private static func churn(_ count: Int) {
        var checksum = 0
        for i in 0..<count {
            var numbers: [Int] = []
            for j in 0..<Int(KernelRandom.generator.next(below: 32)) { numbers.append(j) }
            let node = ChurnNode(i)
            node.next = ChurnNode(numbers.count)
            checksum &+= numbers.count &+ node.next!.value
            if i % 512 == 0 {
                var table: [Int: Int] = [:]
                for k in 0..<64 { table[k] = k &* i }
                checksum &+= table.count
            }
        }
        if checksum == 42 { Console.line("storm: unlikely checksum") }
    }

    /// Rounds of the other storms, chosen and sized from the seed, for `milliseconds`; after
    /// each round the kernel settles and prints `storm: round <n> kind=<k>` and the memory
    /// lines, so a soak can watch every figure round by round.
    private static func mixed(milliseconds: UInt64) -> Int {
        let start = Clock.millisecondsSinceBoot
        var round = 0
        var failures = 0
        while Clock.millisecondsSince(start) < milliseconds {
            round += 1
            let kind: StormKind
            switch KernelRandom.generator.next(below: 4) {
            case 0:
                kind = .exit
                failures += exitStorm(200 + Int(KernelRandom.generator.next(below: 800)))
            case 1:
                kind = .kill
                failures += killStorm(50 + Int(KernelRandom.generator.next(below: 200)))
            case 2:
                kind = .churn
                churn(20_000 + Int(KernelRandom.generator.next(below: 80_000)))
            default:
                kind = .steal
                stealStorm(100 + Int(KernelRandom.generator.next(below: 400)))
            }
            settle()
            Console.line { l in
                l.text("storm: round ")
                l.dec(round)
                l.field("kind", name(kind))
                l.field("failures", failures)
            }
            StatisticsLines.print()
        }
        return failures
    }

    /// `count` rounds of bad input from the seed: an `exit0` image with up to 8 random bytes of
    /// its headers changed is loaded (refused, or loaded and torn down), and a `fuzzer` process
    /// makes 300 random system calls with hostile arguments. The kernel must never fault; a
    /// fuzzer that does not exit 0 counts as a failure. Prints how many images were refused.
    private static func badInput(_ count: Int) -> Int {
        guard let image = UserImages.find("exit0") else { return 1 }
        let original = [UInt8](
            UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(image.start)), count: image.length))
        var refused = 0
        var loaded = 0
        var failures = 0
        for _ in 0..<count {
            var bytes = original
            for _ in 0..<(1 + Int(KernelRandom.generator.next(below: 8))) {
                let at = Int(KernelRandom.generator.next(below: UInt64(min(256, bytes.count))))
                bytes[at] = UInt8(truncatingIfNeeded: KernelRandom.generator.next())
            }
            switch bytes.withUnsafeBytes({ ProgramLoader.load($0) }) {
            case .success(let l):
                l.space.destroy()
                loaded += 1
            case .failure: refused += 1
            }
            let pid = Processes.spawn("fuzzer", argument: KernelRandom.generator.next(), on: randomCPU())
            if pid <= 0 || Processes.wait(pid, parent: 0) != 0 { failures += 1 }
        }
        Console.record("storm: badinput") { l in
            l.field("images_refused", refused)
            l.field("images_loaded", loaded)
        }
        return failures
    }

    /// `count` kernel threads created on CPU 0, printing where they ran.
    private static func stealStorm(_ count: Int) {
        ThreadBatch.run(count: count, stormWorker)
        Console.record("storm: steal") { l in
            var steals: UInt64 = 0
            for c in 0..<CPUs.count where CPUs.isOnline(c) {
                steals &+= CPUs.block(c).pointee.steals.load(ordering: .relaxed)
            }
            ThreadBatch.describe(l)
            l.field("steals", steals)
        }
    }
}

private let stormWorker: TaskEntry = { i in
    var x = i
    for _ in 0..<200_000 { x = x &* 6364136223846793005 &+ 1442695040888963407 }
    if x == 42 { Console.line("never") }
    ThreadBatch.finishOne()
}
