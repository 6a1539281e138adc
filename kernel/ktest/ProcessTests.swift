// In-kernel tests of user processes and the one exit path: spawn/exit/wait cycles on every
// CPU, kills from other CPUs, bad ELF images, bad system-call arguments, user faults, a
// memory hog, unwaited zombies — each followed by an exact check that nothing leaked.
import Hardware
import Synchronization

enum ProcessTests {
    struct Figures: Equatable {
        var heapBytes = 0, frames = 0, stacks = 0, tasks = 0, dead = 0, userData = 0, userTables = 0, live = 0, zombies = 0
    }

    /// Everything that must come back to baseline, once retired pages and cached stacks are settled.
    static func figures() -> Figures {
        var f = Figures()
        Settle.memory()
        let heap = KernelHeap.statistics
        f.heapBytes = heap.bytesInUse
        f.frames = PhysicalMemory.freeFrames + heap.mappedBytes / 4096
        f.stacks = KernelStacks.outstanding.load(ordering: .relaxed)
        f.tasks = Scheduler.liveTasks.load(ordering: .relaxed)
        f.dead = Scheduler.deadAwaitingReap.load(ordering: .relaxed)
        f.userData = UserMemory.dataFrames.load(ordering: .relaxed)
        f.userTables = UserMemory.tableFrames.load(ordering: .relaxed)
        f.live = Processes.live.load(ordering: .relaxed)
        f.zombies = Processes.zombies.load(ordering: .relaxed)
        return f
    }

    static func expectBaseline(_ t: inout TestContext, _ before: Figures) {
        let after = figures()
        t.expect(after.stacks == before.stacks, "kernel stacks outstanding")
        t.expect(after.dead == 0, "dead tasks awaiting reap")
        t.expect(after.tasks == before.tasks, "tasks not reaped")
        t.expect(after.userData == before.userData && after.userTables == before.userTables, "user frames outstanding")
        t.expect(after.live == before.live && after.zombies == before.zombies, "process records left")
        t.expect(after.heapBytes == before.heapBytes, "heap bytes not back to baseline")
        t.expect(after.frames == before.frames, "free frames not back to baseline")
        if after != before {
            t.note { l in
                l.text("before heap=")
                l.dec(before.heapBytes)
                l.text(" frames=")
                l.dec(before.frames)
                l.text(" after heap=")
                l.dec(after.heapBytes)
                l.text(" frames=")
                l.dec(after.frames)
                l.text(" user=")
                l.dec(after.userData)
                l.text("/")
                l.dec(after.userTables)
            }
        }
    }

    /// Spawn/exit/wait of `exit0` `count` times, `batch` at a time spread over every CPU.
    static func cycles(_ count: Int, batch: Int, _ t: inout TestContext) -> UInt64 {
        var pids: InlineArray<16, Int> = .init(repeating: 0)
        let start = Clock.microsecondsSinceBoot
        var done = 0
        var cpu = 0
        while done < count {
            // At most one batch of the array's size: `batch` grows with the CPU count.
            let n = min(batch, pids.count, count - done)
            for i in 0..<n {
                repeat { cpu = (cpu + 1) % CPUs.count } while !CPUs.isOnline(cpu)
                pids[i] = Processes.spawn("exit0", argument: UInt64((done + i) & 0x7F), on: cpu)
                if pids[i] <= 0 {
                    t.expect(false, "spawn failed")
                    return 0
                }
            }
            for i in 0..<n where Processes.wait(pids[i], parent: 0) != (done + i) & 0x7F { t.expect(false, "wrong exit status") }
            done += n
        }
        return Clock.microsecondsSince(start)
    }

    static let suite = KernelTestSuite(
        name: "process", explicitOnly: false,
        tests: [
            KernelTest(name: "exit_status") { t in
                let before = figures()
                let pid = Processes.spawn("exit0", argument: 42, on: CPUs.currentIndex)
                t.expect(pid > 0, "spawn failed")
                t.expect(Processes.wait(pid, parent: 0) == 42, "exit status not handed to the waiter")
                t.expect(Processes.wait(pid, parent: 0) < 0, "a collected process was waited for twice")
                expectBaseline(&t, before)
            },
            KernelTest(name: "exit0_10000_cycles_every_cpu") { t in
                let before = figures()
                let us = cycles(10_000, batch: 2 * CPUs.onlineCount, &t)
                // Keys: docs/kernel-interface.md, "Figure lines".
                Console.record("bench:") { l in
                    l.field("spawn_exit_wait_per_s", us == 0 ? 0 : 10_000 * 1_000_000 / us)
                    l.field("cpus", CPUs.onlineCount)
                }
                expectBaseline(&t, before)
            },
            KernelTest(name: "kill_from_another_cpu") { t in
                let before = figures()
                for round in 0..<100 {
                    let target = CPUs.onlineCount > 1 ? (CPUs.currentIndex + 1 + round % (CPUs.onlineCount - 1)) % CPUs.count : 0
                    let pid = Processes.spawn("spin", argument: UInt64(round & 1), on: target)
                    guard pid > 0 else {
                        t.expect(false, "spawn failed")
                        return
                    }
                    for _ in 0..<(round % 4) { Scheduler.yield() }
                    t.expect(Processes.kill(pid) == 0, "kill refused")
                    t.expect(Processes.wait(pid, parent: 0) == ExitStatus.killed, "killed process had the wrong status")
                }
                expectBaseline(&t, before)
            },
            KernelTest(name: "spawner_waits_for_its_children") { t in
                let before = figures()
                let pid = Processes.spawn("spawner", argument: 8, on: CPUs.currentIndex)
                let status = Processes.wait(pid, parent: 0)
                t.expect(status == 0, "children's statuses were not all collected")
                if status != 0 {
                    t.note {
                        $0.text("spawner status=")
                        $0.dec(status)
                    }
                }
                expectBaseline(&t, before)
            },
            KernelTest(name: "bad_elf_refused") { t in
                let before = figures()
                guard let image = UserImages.find("exit0") else {
                    t.expect(false, "no exit0 image")
                    return
                }
                let original = [UInt8](
                    UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(image.start)), count: image.length))
                func refused(_ expected: ELFError, _ change: (inout [UInt8]) -> Void) -> Bool {
                    var bytes = original
                    change(&bytes)
                    let result = bytes.withUnsafeBytes { ProgramLoader.load($0) }
                    if case .failure(.badImage(let e)) = result { return e == expected }
                    if case .success(let l) = result { l.space.destroy() }
                    return false
                }
                func put64(_ b: inout [UInt8], _ o: Int, _ v: UInt64) {
                    for i in 0..<8 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
                }
                let ph = Int(original[32])  // program headers' offset (small)
                t.expect(refused(.truncated) { $0.removeLast($0.count - 40) }, "truncated file accepted")
                t.expect(refused(.badMagic) { $0[1] = 0 }, "bad magic accepted")
                t.expect(refused(.notELF64) { $0[4] = 1 }, "ELF32 accepted")
                t.expect(refused(.notX86_64) { $0[18] = 0x28 }, "foreign machine accepted")
                t.expect(refused(.entryOutsideSegments) { put64(&$0, 24, 0x10_0000) }, "entry outside segments accepted")
                t.expect(
                    refused(.segmentOutsideUserRange) { put64(&$0, ph + 16, 0x20_0000) }, "segment in the kernel's half accepted")
                t.expect(refused(.tooLarge) { put64(&$0, ph + 40, 1 << 40) }, "absurd segment size accepted")
                t.expect(
                    refused(.fileSizeAboveMemorySize) { put64(&$0, ph + 32, 1 << 20) }, "file size above memory size accepted")
                t.expect(refused(.segmentBeyondFile) { put64(&$0, ph + 8, 1 << 30) }, "segment beyond the file accepted")
                t.expect(
                    refused(.segmentsOverlap) { b in
                        // A second PT_LOAD that copies the first one.
                        let phnum = Int(b[56])
                        for i in 0..<56 { b[ph + phnum * 56 + i] = b[ph + i] }
                        b[56] = UInt8(phnum + 1)
                    }, "overlapping segments accepted")
                expectBaseline(&t, before)
            },
            KernelTest(name: "bad_syscall_arguments_refused") { t in
                let before = figures()
                let pid = Processes.spawn("faulter", argument: 5, on: CPUs.currentIndex)
                t.expect(Processes.wait(pid, parent: 0) == 0, "a bad system-call argument was accepted")
                expectBaseline(&t, before)
            },
            KernelTest(name: "user_fault_storm") { t in
                let before = figures()
                var pids: InlineArray<50, Int> = .init(repeating: 0)
                for i in 0..<50 { pids[i] = Processes.spawn("faulter", argument: UInt64(i % 5), on: i % CPUs.count) }
                for i in 0..<50 {
                    let status = Processes.wait(pids[i], parent: 0)
                    let expected = i % 5 == 2 ? ExitStatus.illegalInstruction : ExitStatus.segmentationFault
                    t.expect(status == expected, "a faulting process ended with the wrong status")
                }
                expectBaseline(&t, before)
            },
            KernelTest(name: "user_memory_hog_refused") { t in
                let before = figures()
                PhysicalMemory.resetLowWater()
                let pid = Processes.spawn("hog", argument: 0, on: CPUs.currentIndex)
                let mebibytes = Processes.wait(pid, parent: 0)
                t.expect(mebibytes > 0, "the hog got no memory")
                t.expect(PhysicalMemory.lowWaterFrames >= UserMemory.reserveFrames / 2, "the kernel's reserve was eaten")
                t.note {
                    $0.text("hog_mib=")
                    $0.dec(mebibytes)
                }
                expectBaseline(&t, before)
            },
            KernelTest(name: "parent_ends_before_its_children") { t in
                // Each spawner ends without waiting: its children that already ended are freed with
                // it, the others (now detached) when they end. Nothing may be left either way.
                let before = figures()
                for i in 0..<40 {
                    let pid = Processes.spawn("spawner", argument: UInt64(100 + 1 + i % 8), on: i % CPUs.count)
                    t.expect(Processes.wait(pid, parent: 0) == 0, "the spawner failed")
                }
                TickWait.wait(milliseconds: 10_000) { Processes.live.load(ordering: .relaxed) == before.live }
                expectBaseline(&t, before)
            },
            KernelTest(name: "unwaited_zombies_reclaimed") { t in
                let before = figures()
                for i in 0..<100 {
                    let name: StaticString = "exit0"
                    _ = Processes.spawn(
                        UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount),
                        argument: 0, parent: 0, on: i % CPUs.count, detached: true)
                }
                TickWait.wait(milliseconds: 10_000) { Processes.live.load(ordering: .relaxed) == before.live }
                expectBaseline(&t, before)
            },
        ])
}

/// Long runs, selected only by name (`ktest=soak.spawn_100k`): they print their figures.
enum SoakTests {
    static let suite = KernelTestSuite(
        name: "soak", explicitOnly: true,
        tests: [
            KernelTest(name: "spawn_100k") { t in
                let before = ProcessTests.figures()
                let us = ProcessTests.cycles(100_000, batch: 2 * CPUs.onlineCount, &t)
                let after = ProcessTests.figures()
                // Keys: docs/kernel-interface.md, "Figure lines".
                Console.record("soak: spawn_100k") { l in
                    l.field("cpus", CPUs.onlineCount)
                    l.field("elapsed_ms", us / 1000)
                    l.field("per_s", us == 0 ? 0 : 100_000 * 1_000_000 / us)
                    l.field("heap_bytes_before", before.heapBytes)
                    l.field("heap_bytes_after", after.heapBytes)
                    l.field("frames_before", before.frames)
                    l.field("frames_after", after.frames)
                    l.field("stacks_before", before.stacks)
                    l.field("stacks_after", after.stacks)
                }
                ProcessTests.expectBaseline(&t, before)
            }
        ])
}
