// The kernel heap core: kmalloc/kfree's data structures over a fixed virtual window that is
// mapped on demand. Small blocks come from size-class slabs, large ones from whole-page runs.

/// A heap in the window `[windowBase, windowBase + windowPages * 4096)`.
///
/// - Blocks of at most 2048 bytes (and alignment at most 2048) come from slab pages of one
///   size class each (`HeapSizeClass`); larger or more aligned ones from page runs.
/// - `free` finds everything from the pointer: the page descriptor at
///   `(pointer - windowBase) >> 12` says what the page holds. Invalid and double frees are
///   detected and change nothing.
/// - Pages are mapped through `backing` when needed and unmapped when they empty, keeping one
///   empty slab page per class and a few small freed runs mapped, so alloc/free loops do not
///   map and unmap every time. Before failing for lack of frames or window space the heap
///   gives those cached pages back (flushing the depot of objects the object caches gave
///   back, which keeps their pages) and tries again.
///
/// Not thread-safe: the kernel holds its heap spinlock around every call.
public struct KernelHeapCore<Backing: HeapPageBacking> {
    /// The page mapper; public so the kernel can reach its counters.
    public var backing: Backing
    @usableFromInline let windowBase: UInt
    @usableFromInline let windowPages: Int
    @usableFromInline let descriptors: UnsafeMutablePointer<HeapPageDescriptor>
    @usableFromInline let classStates: UnsafeMutablePointer<HeapSizeClassState>
    @usableFromInline let runCache: UnsafeMutablePointer<HeapRunCacheSlot>
    /// Free objects the object caches gave back, by class (KernelHeapCore+ObjectCaches.swift).
    @usableFromInline let depot: HeapDepot
    /// One bit per window page: set when the page is claimed (slab, run or cached run).
    @usableFromInline let usedPages: UnsafeMutablePointer<UInt64>
    /// Size class for each request size in 16-byte units (0...128): one load instead of a
    /// chain of compares on the allocation fast path.
    @usableFromInline let classForUnits: UnsafeMutablePointer<UInt8>
    /// Run-cache slot to reuse next when every slot is taken.
    @usableFromInline var runCacheVictim: Int
    /// Invariant: every page below this index is claimed, so searches may start here.
    @usableFromInline var firstPossiblyFreePage: Int
    /// Fill freed memory that stays mapped with `HeapCoreParameters.junkByte`.
    @usableFromInline let junkFill: Bool
    @usableFromInline var counters: HeapCounters

    /// Bytes of metadata storage `init` needs for a window of `windowPages` pages: the page
    /// descriptors (16 bytes a page), the size-class states, the run cache, the bitmap of
    /// claimed pages, the size-to-class table and the depot, each section 16-byte aligned.
    public static func metadataBytes(windowPages: Int) -> Int {
        MetadataLayout(windowPages: windowPages).totalBytes
    }

    /// Sets up an empty heap; nothing is mapped yet.
    /// - Parameters:
    ///   - windowBase: page-aligned start of the window; the window must not wrap around.
    ///   - windowPages: pages in the window (at least 1, below 2^32 - 1).
    ///   - metadata: 16-byte aligned, `metadataBytes(windowPages:)` bytes, any content, owned by
    ///     the caller for the heap's lifetime, outside the window.
    ///   - backing: maps and unmaps window pages.
    ///   - junkFill: fill freed blocks that stay mapped with 0xDB (xv6 style), to make
    ///     use-after-free visible. Off by default: it costs a memset per free.
    public init(
        windowBase: UInt, windowPages: Int, metadata: UnsafeMutableRawPointer,
        backing: Backing, junkFill: Bool = false
    ) {
        precondition(windowBase & UInt(HeapCoreParameters.pageSize - 1) == 0, "heap window not page-aligned")
        precondition(windowPages >= 1 && windowPages < Int(UInt32.max), "heap window size out of range")
        precondition(
            windowBase <= UInt.max - UInt(windowPages) << UInt(HeapCoreParameters.pageShift) + 1,
            "heap window wraps around")
        precondition(UInt(bitPattern: metadata) & 15 == 0, "heap metadata not 16-byte aligned")
        let layout = MetadataLayout(windowPages: windowPages)
        self.backing = backing
        self.windowBase = windowBase
        self.windowPages = windowPages
        self.junkFill = junkFill
        descriptors = (metadata + layout.descriptorsOffset)
            .bindMemory(to: HeapPageDescriptor.self, capacity: windowPages)
        descriptors.initialize(repeating: .unused, count: windowPages)
        classStates = (metadata + layout.classStatesOffset)
            .bindMemory(to: HeapSizeClassState.self, capacity: HeapSizeClass.count)
        var classIndex = 0
        while classIndex < HeapSizeClass.count {
            (classStates + classIndex).initialize(to: HeapSizeClassState(classIndex: classIndex))
            classIndex += 1
        }
        runCache = (metadata + layout.runCacheOffset)
            .bindMemory(to: HeapRunCacheSlot.self, capacity: HeapCoreParameters.runCacheSlots)
        runCache.initialize(repeating: .empty, count: HeapCoreParameters.runCacheSlots)
        depot = HeapDepot(storage: metadata + layout.depotOffset)
        let words = BitmapSearch.wordCount(bits: windowPages)
        usedPages = (metadata + layout.usedPagesOffset).bindMemory(to: UInt64.self, capacity: words)
        usedPages.initialize(repeating: 0, count: words)
        // Bits past the window's end read as claimed, so no search can return them.
        BitmapSearch.fill(true, in: usedPages, start: windowPages, count: words * 64 - windowPages)
        classForUnits = (metadata + layout.classTableOffset)
            .bindMemory(to: UInt8.self, capacity: MetadataLayout.classTableEntries)
        var units = 0
        while units < MetadataLayout.classTableEntries {
            classForUnits[units] = UInt8(truncatingIfNeeded: HeapSizeClass.index(forSize: max(1, units * 16)))
            units += 1
        }
        firstPossiblyFreePage = 0
        runCacheVictim = 0
        counters = HeapCounters(windowBytes: windowPages << HeapCoreParameters.pageShift)
    }

    /// The figures kept on every operation, without the per-class walk `statistics` does:
    /// cheap enough to read after each allocation and free.
    @inlinable
    public var runningFigures: HeapRunningFigures {
        HeapRunningFigures(
            bytesInUse: counters.bytesInUse, blocksInUse: counters.allocations - counters.frees,
            peakBytesInUse: counters.peakBytesInUse, mappedBytes: counters.mappedBytes,
            windowBytes: counters.windowBytes, failedAllocations: counters.failedAllocations,
            badFrees: counters.invalidFrees + counters.doubleFrees)
    }

    /// Heap-wide counters. Costs a pass over the size classes (22 entries).
    public var statistics: HeapStatistics {
        var emptySlabPages = 0
        var depotBlocks = 0
        var classIndex = 0
        while classIndex < HeapSizeClass.count {
            if emptyKeptPage(classStates + classIndex) != nil { emptySlabPages += 1 }
            depotBlocks += depot.count(classIndex: classIndex)
            classIndex += 1
        }
        return HeapStatistics(
            counters, blocksInUse: counters.allocations - counters.frees,
            cachedPages: emptySlabPages + counters.cachedRunPages, depotBlocks: depotBlocks)
    }

    /// Number of size classes (for `sizeClassStatistics`).
    @inlinable public static var sizeClassCount: Int { HeapSizeClass.count }

    /// Counters of size class `index` (0 ..< sizeClassCount, smallest class first).
    public func sizeClassStatistics(_ index: Int) -> SizeClassStatistics {
        precondition(index >= 0 && index < HeapSizeClass.count, "no such size class")
        let state = classStates[index]
        return SizeClassStatistics(
            size: Int(state.objectSize), blocksInUse: state.liveBlocks,
            pages: state.pages, emptyPages: emptyKeptPage(classStates + index) == nil ? 0 : 1,
            depotBlocks: depot.count(classIndex: index))
    }

    /// Allocates at least `size` bytes aligned to `alignment` (a power of two; anything below
    /// 16 gets 16), like posix_memalign. A size of 0 gets a unique 16-byte block.
    @inlinable
    public mutating func allocate(size: Int, alignment: Int = HeapCoreParameters.minimumAlignment) -> HeapAllocation {
        // Fast path: a slab size with alignment 1, 2, 4, 8 or 16 (bits of 0x10116).
        if UInt(bitPattern: size) <= UInt(HeapSizeClass.largestSize)
            && UInt(bitPattern: alignment) <= UInt(HeapCoreParameters.minimumAlignment)
            && (0x10116 &>> UInt(bitPattern: alignment)) & 1 != 0
        {
            return allocateObject(ofClass: Int(truncatingIfNeeded: classForUnits[(size &+ 15) &>> 4]))
        }
        return allocateUncommon(size: size, alignment: alignment)
    }

    /// Everything `allocate`'s fast path does not take: validation, larger alignments, page runs.
    @inlinable
    mutating func allocateUncommon(size: Int, alignment: Int) -> HeapAllocation {
        guard alignment > 0, alignment & (alignment &- 1) == 0, size >= 0, size <= counters.windowBytes else {
            counters.failedAllocations &+= 1
            return .badRequest
        }
        let request = size == 0 ? 1 : size
        if request <= HeapSizeClass.largestSize && alignment <= HeapSizeClass.largestSize {
            // Power-of-two classes are naturally aligned within their page.
            let naturallyAligned =
                max(request, alignment) <= HeapCoreParameters.minimumAlignment
                ? request : 1 &<< (Int.bitWidth &- (max(request, alignment) &- 1).leadingZeroBitCount)
            return allocateObject(ofClass: HeapSizeClass.index(forSize: naturallyAligned))
        }
        return allocateRun(bytes: request, alignment: alignment)
    }

    /// Frees the block starting at `pointer`. Anything but `.freed` leaves the heap unchanged.
    @inlinable
    public mutating func free(_ pointer: UnsafeMutableRawPointer) -> HeapFreeResult {
        let address = UInt(bitPattern: pointer)
        let offsetInWindow = address &- windowBase
        guard offsetInWindow < UInt(bitPattern: counters.windowBytes) else {
            counters.invalidFrees &+= 1
            return .invalid
        }
        let page = Int(truncatingIfNeeded: offsetInWindow &>> UInt(HeapCoreParameters.pageShift))
        if descriptors[page].kind == .slab {
            return freeObject(at: address, page: page)
        }
        return freeRun(at: address, page: page)
    }

    /// Usable size of the live block starting at `pointer`, or nil if `pointer` is not the
    /// start of a live block.
    @inlinable
    public func blockSize(of pointer: UnsafeRawPointer) -> Int? {
        let address = UInt(bitPattern: pointer)
        let offsetInWindow = address &- windowBase
        guard offsetInWindow < UInt(bitPattern: counters.windowBytes) else { return nil }
        let page = Int(truncatingIfNeeded: offsetInWindow &>> UInt(HeapCoreParameters.pageShift))
        let offset = Int(truncatingIfNeeded: offsetInWindow) & (HeapCoreParameters.pageSize &- 1)
        let descriptor = descriptors[page]
        switch descriptor.kind {
        case .slab:
            let state = classStates + Int(descriptor.sizeClass)
            guard isLiveObject(at: address, descriptor: descriptors + page, offset: offset, state: state) == .live
            else { return nil }
            return Int(state.pointee.objectSize)
        case .runHead where offset == 0:
            return Int(descriptor.link) << HeapCoreParameters.pageShift
        default:
            return nil
        }
    }

    /// Address of window page `page`.
    @inlinable @inline(__always)
    func address(ofPage page: Int) -> UInt {
        windowBase &+ UInt(bitPattern: page) &<< UInt(HeapCoreParameters.pageShift)
    }

    @inlinable @inline(__always)
    mutating func recordAllocation(bytes: Int) {
        counters.allocations &+= 1
        counters.bytesInUse &+= bytes
        if counters.bytesInUse > counters.peakBytesInUse { counters.peakBytesInUse = counters.bytesInUse }
    }

    @inlinable @inline(__always)
    mutating func recordFree(bytes: Int) {
        counters.frees &+= 1
        counters.bytesInUse &-= bytes
    }
}

/// Where each section lives inside the caller's metadata storage.
@usableFromInline
struct MetadataLayout {
    let descriptorsOffset: Int
    let classStatesOffset: Int
    let runCacheOffset: Int
    let usedPagesOffset: Int
    let classTableOffset: Int
    let depotOffset: Int
    let totalBytes: Int
    /// Entries of the size-to-class table: 16-byte units 0...128.
    static var classTableEntries: Int { HeapSizeClass.largestSize / 16 + 1 }

    init(windowPages: Int) {
        func roundUp16(_ value: Int) -> Int { (value + 15) & ~15 }
        descriptorsOffset = 0
        classStatesOffset = roundUp16(windowPages * MemoryLayout<HeapPageDescriptor>.stride)
        runCacheOffset = roundUp16(classStatesOffset + HeapSizeClass.count * MemoryLayout<HeapSizeClassState>.stride)
        usedPagesOffset = roundUp16(runCacheOffset + HeapCoreParameters.runCacheSlots * MemoryLayout<HeapRunCacheSlot>.stride)
        classTableOffset = roundUp16(usedPagesOffset + BitmapSearch.wordCount(bits: windowPages) * 8)
        depotOffset = roundUp16(classTableOffset + Self.classTableEntries)
        totalBytes = roundUp16(depotOffset + HeapDepot.storageBytes)
    }
}
