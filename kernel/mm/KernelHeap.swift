// kmalloc/kfree: KernelHeapCore (mm/core) in the kernel's 256 MiB heap window, behind a lock,
// growing by mapping frames on demand and giving them back as pages empty; in front of it, one
// HeapObjectCache per CPU, so most blocks of up to 2048 bytes and page runs of up to 16 KiB come
// and go without the lock. The failure messages are the ones scenarios watch for
// (docs/kernel-interface.md).
import Hardware

/// Maps heap pages through `KernelMappings`, which makes unmapping safe on SMP.
struct KernelHeapBacking: HeapPageBacking {
    mutating func mapPage(at address: UInt) -> Bool { KernelMappings.mapPage(UInt64(address)) }
    mutating func unmapPage(at address: UInt) { KernelMappings.unmapPage(UInt64(address)) }
}

enum HeapFailure: Error { case outOfFrames, outOfWindow, badRequest }

/// The kernel's side of the composition (mm/core/CachedHeap.swift): per-CPU caches in frames
/// from boot, the core behind `KernelHeap.lock`, figures published after every locked step.
struct KernelCachedHeap: CachedHeap {
    var cacheCount: Int { KernelHeap.cacheCount }

    @inline(__always)
    func cache(_ cpu: Int) -> HeapObjectCache { KernelHeap.cache(cpu) }

    var lookup: HeapBlockLookup { KernelHeap.lookup! }

    /// Under the lock: the step, then the figures published and the pressure threshold checked
    /// (reported by the caller once the lock is released).
    func withLockedCore<Result>(_ body: (inout KernelHeapCore<KernelHeapBacking>) -> Result) -> Result {
        KernelHeap.lock.withLock {
            let result = body(&KernelHeap.core!)
            if KernelHeap.checkPressure(KernelHeap.publishFigures()) { KernelHeap.pressureToReport = true }
            return result
        }
    }
}

enum KernelHeap {
    typealias Core = KernelHeapCore<KernelHeapBacking>
    static let lock = SpinLock(registrySlot: .heap)
    nonisolated(unsafe) static var core: Core? = nil
    nonisolated(unsafe) static var pressureReported = false
    /// Set under the lock when mapped bytes crossed the threshold; printed after it.
    nonisolated(unsafe) static var pressureToReport = false
    static let cached = KernelCachedHeap()
    /// The core's fixed tables, for the paths that take no lock. Set once by `initialize`.
    nonisolated(unsafe) static var lookup: HeapBlockLookup? = nil
    /// Storage of every CPU's object cache (`Parameters.maximumCPUs` of them), from frames at boot.
    nonisolated(unsafe) static var cacheStorage = UnsafeMutableRawPointer(bitPattern: 8)!

    /// Sets up the heap over its window; its metadata comes from contiguous frames.
    static func initialize() {
        let pages = Int(Layout.heapSize / Layout.pageSize)
        let bytes = UInt64(Core.metadataBytes(windowPages: pages))
        guard let metadata = PhysicalMemory.allocateContiguous(count: Int(pageAlignUp(bytes) / Layout.pageSize)) else {
            panic("no frames for the heap's metadata")
        }
        // The window's page tables were built by KernelMappings.initialize.
        core = Core(
            windowBase: UInt(Layout.heapBase), windowPages: pages,
            metadata: UnsafeMutableRawPointer(bitPattern: UInt(metadata))!, backing: KernelHeapBacking())
        lookup = core!.lookup
        let cacheBytes = UInt64(Parameters.maximumCPUs * HeapObjectCache.storageBytes)
        guard let storage = PhysicalMemory.allocateContiguous(count: Int(pageAlignUp(cacheBytes) / Layout.pageSize)) else {
            panic("no frames for the heap's per-CPU caches")
        }
        cacheStorage = UnsafeMutableRawPointer(bitPattern: UInt(storage))!
        for cpu in 0..<Parameters.maximumCPUs {
            _ = HeapObjectCache.prepare(storage: cacheStorage + cpu * HeapObjectCache.storageBytes)
        }
        MemoryCounters.publish(core!.runningFigures)
    }

    /// CPU `cpu`'s object cache. Only that CPU uses it, with interrupts off.
    @inline(__always)
    static func cache(_ cpu: Int) -> HeapObjectCache {
        HeapObjectCache(storage: cacheStorage + cpu * HeapObjectCache.storageBytes)
    }

    /// CPUs with a cache in use: those online, at most `Parameters.maximumCPUs`.
    static var cacheCount: Int { min(CPUs.count, Parameters.maximumCPUs) }

    /// Every CPU's cache summed (read without synchronisation: exact when the CPUs are quiet,
    /// within a few bins otherwise).
    static var cachedTotals: HeapCacheTotals { cached.cachedTotals }

    /// The running figures with cached objects counted as free. Precondition: `lock` held.
    fileprivate static func publishFigures() -> HeapRunningFigures {
        let figures = core!.runningFigures(correctedBy: cached.cachedContents)
        MemoryCounters.publish(figures)
        return figures
    }

    /// kmalloc for callers that can cope with failure: the block, or why there is none. The
    /// failure is also printed (`expand_heap: ...` / `kmalloc: ...`), since it is an event.
    /// The CPU's cache first, with interrupts off; the core under the lock when it cannot serve.
    static func tryAllocate(size: Int, alignment: Int = 16) -> Result<UnsafeMutableRawPointer, HeapFailure> {
        let flags = cpu_rflags()
        cpu_cli()
        let (result, locked) = cached.allocate(size: size, alignment: alignment, on: CPUs.currentIndex)
        cpu_restore_rflags(flags)
        if !locked, case .allocated(let object) = result { return .success(object) }
        if pressureToReport {
            pressureToReport = false
            reportPressure()
        }
        KernelMappings.flushIfWorthIt()
        switch result {
        case .allocated(let p): return .success(p)
        case .outOfFrames:
            if !SeedFaults.enabled { Console.line("expand_heap: Failed to allocate physical page") }
            return .failure(.outOfFrames)
        case .outOfWindow:
            if !SeedFaults.enabled {
                Console.line {
                    $0.text("kmalloc: No suitable block size=")
                    $0.dec(size)
                    $0.text(" align=")
                    $0.dec(alignment)
                }
            }
            return .failure(.outOfWindow)
        case .badRequest:
            return .failure(.badRequest)
        }
    }

    /// kmalloc for callers that cannot cope: panics when memory is exhausted.
    static func allocate(size: Int, alignment: Int = 16) -> UnsafeMutableRawPointer {
        switch tryAllocate(size: size, alignment: alignment) {
        case .success(let p): return p
        case .failure:
            panic("kmalloc: out of memory") {
                $0.text(" size=")
                $0.dec(size)
                $0.text(" align=")
                $0.dec(alignment)
            }
        }
    }

    /// kfree. An invalid or double free is reported with the caller's backtrace and changes nothing.
    /// The CPU's cache first, with interrupts off; the core under the lock when it cannot keep the block.
    @inline(never)
    static func free(_ pointer: UnsafeMutableRawPointer) {
        let flags = cpu_rflags()
        cpu_cli()
        let freed = cached.free(pointer, on: CPUs.currentIndex)
        cpu_restore_rflags(flags)
        guard let result = freed else { return }
        KernelMappings.flushIfWorthIt()
        switch result {
        case .freed: return
        case .invalid, .doubleFree:
            Console.line { l in
                l.text("kfree: Invalid block or double free address=")
                l.hex(UInt64(UInt(bitPattern: pointer)))
                l.text(result == .doubleFree ? " kind=double" : " kind=invalid")
            }
            Backtrace.print(framePointer: cpu_frame_pointer())
        }
    }

    /// Returns every CPU's cached objects to the core (each CPU its own, by cross-call), then
    /// the empty pages the core keeps for reuse: for exact figures. Precondition: interrupts
    /// on, every online CPU answering.
    static func releaseCachedPages() {
        CrossCall.runOnOthers(drainOwnCache, 0)
        drainOwnCache(0)
        lock.withLock {
            core!.releaseCachedPages()
            _ = publishFigures()
        }
    }

    /// Usable size of a live block, or nil.
    static func blockSize(of pointer: UnsafeRawPointer) -> Int? {
        lock.withLock { core!.blockSize(of: pointer, cachesHold: cached.anyCacheHolds) }
    }

    /// The heap's figures, cached objects counted as free.
    static var statistics: HeapStatistics { lock.withLock { unlockedStatistics } }

    /// `statistics` without the lock: for the heartbeat and a panicking machine, which must not
    /// wait for it. Figures may be mid-update.
    static var unlockedStatistics: HeapStatistics {
        core!.statistics(correctedBy: cachedTotals)
    }

    /// Objects of size class `index` in use: the core's count less those in CPUs' caches.
    static func blocksInUse(ofClass index: Int) -> Int {
        cached.blocksInUse(ofClass: index, core: core!)
    }

    /// Whether mapped bytes just crossed the pressure threshold. Precondition: `lock` held.
    fileprivate static func checkPressure(_ s: HeapRunningFigures) -> Bool {
        let high = UInt64(s.mappedBytes) * 100 >= UInt64(s.windowBytes) * Parameters.heapPressurePercent
        if high && !pressureReported {
            pressureReported = true
            return true
        }
        if !high && UInt64(s.mappedBytes) * 100 < UInt64(s.windowBytes) * (Parameters.heapPressurePercent - 15) {
            pressureReported = false
        }
        return false
    }

    private static func reportPressure() {
        let s = statistics
        // Keys: docs/kernel-interface.md, "Figure lines".
        Console.record("mm: pressure") { l in
            l.field("heap.mapped", s.mappedBytes)
            l.field("heap.window", s.windowBytes)
            l.field("percent", s.mappedBytes * 100 / s.windowBytes)
        }
    }
}

/// Gives the calling CPU's cached objects back to the heap core (a cross-call, or the caller).
let drainOwnCache: CrossCallFunction = { _ in
    let flags = cpu_rflags()
    cpu_cli()
    let cache = KernelHeap.cache(CPUs.currentIndex)
    KernelHeap.lock.withLock { KernelHeap.core!.drainAll(cache) }
    cpu_restore_rflags(flags)
}
