// Each CPU's run bins: freed page runs of one to four pages (4 ... 16 KiB) kept for the next
// allocation of the same length on that CPU, without the heap's lock, as Linux's per-CPU page
// lists (pcp) keep free pages in front of the buddy allocator's zone lock. The core refills an
// empty bin and drains half of a full one in one locked call each (KernelHeapCore+RunBins.swift).
//
// A binned run stays mapped and claimed; the core counts it as allocated, the figures as free
// (like a cached object). Its head page's descriptor says `binnedRunHead`, so a second free of
// it is a double free on every path, and no live-run check (`blockSize`) accepts it.

extension HeapObjectCache {
    /// Longest run, in pages, a run bin keeps (16 KiB).
    @inlinable public static var largestRunPages: Int { 4 }
    /// Bytes of runs one run bin holds at most: 8 one-page runs, 4 of two pages, 2 of three or
    /// four. A CPU's run bins keep at most 30 pages (120 KiB) out of the other CPUs' reach,
    /// about what its object bins keep (123 KiB); 8 pages let a refill or a drain move 4 runs
    /// per locked call, and a loop that frees and allocates one page never take the lock.
    @inlinable public static var runBinBytes: Int { 32768 }
    @inlinable static var runBinCount: Int { largestRunPages }
    /// Words per run bin: the count, then room for the most runs a bin holds (oldest first).
    @inlinable static var runBinWords: Int { runBinBytes >> HeapCoreParameters.pageShift + 1 }
    /// Runs of `pages` pages a run bin holds.
    public static func runCapacity(pages: Int) -> Int { runBinBytes / (pages << HeapCoreParameters.pageShift) }
    /// Runs of `pages` pages a refill brings or a drain takes away: half a bin.
    public static func runBatch(pages: Int) -> Int { runCapacity(pages: pages) / 2 }

    /// `runCapacity(pages:)`, from the cache's header.
    @inlinable @inline(__always)
    public func runCapacity(pages: Int) -> Int { Int(bitPattern: words[Self.counterWords &+ Self.classCount &+ pages &- 1]) }

    /// `runBatch(pages:)`, from the header.
    @inlinable @inline(__always)
    public func runBatch(pages: Int) -> Int { runCapacity(pages: pages) &>> 1 }

    @inlinable @inline(__always)
    func runBin(_ pages: Int) -> UnsafeMutablePointer<UInt> {
        words + (Self.headerWords &+ Self.classCount &* Self.binWords &+ (pages &- 1) &* Self.runBinWords)
    }

    /// Runs of `pages` pages in their bin.
    @inlinable
    public func runCount(pages: Int) -> Int { Int(bitPattern: runBin(pages)[0]) }

    /// Pages of every run in the run bins.
    public var runPages: Int {
        var total = 0
        for pages in 1...Self.largestRunPages { total += runCount(pages: pages) * pages }
        return total
    }

    /// `allocate`'s step for a request no object bin serves: the newest run of its length from
    /// its run bin, or nil (an empty bin, or a request the run bins do not serve).
    @inlinable
    func takeRun(size: Int, alignment: Int, _ lookup: HeapBlockLookup) -> UnsafeMutableRawPointer? {
        let pages = lookup.binnedRunPages(forSize: size, alignment: alignment)
        guard pages != 0 else { return nil }
        let bin = runBin(pages)
        let count = bin[0]
        if count == 0 { return nil }
        bin[0] = count &- 1
        words[0] &+= 1
        let address = bin[Int(bitPattern: count)]
        lookup.setRunHead(address, binned: false)
        return UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
    }

    /// `free`'s step for a block no object bin keeps: nil when it is the start of a live run
    /// of up to `largestRunPages` pages and went into its run bin, `.run` when that bin is
    /// full, else `.other`. Out of line: the object path stays as short as it was.
    @usableFromInline @inline(never)
    func keepRun(_ object: UnsafeMutableRawPointer, _ lookup: HeapBlockLookup) -> CachedBlock? {
        let pages = lookup.binnedRunPages(of: object)
        guard pages != 0 else { return .other }
        return putRun(object, pages: pages, lookup) ? nil : .run(pages: pages)
    }

    /// Keeps the live run of `pages` pages at `object` (being freed) in its bin; false when the
    /// bin is full.
    @usableFromInline
    func putRun(_ object: UnsafeMutableRawPointer, pages: Int, _ lookup: HeapBlockLookup) -> Bool {
        let bin = runBin(pages)
        let count = bin[0]
        guard count < UInt(bitPattern: runCapacity(pages: pages)) else { return false }
        let address = UInt(bitPattern: object)
        lookup.setRunHead(address, binned: true)
        bin[Int(bitPattern: count) &+ 1] = address
        bin[0] = count &+ 1
        return true
    }

    /// Puts the run at `address` (fresh from the core, its head marked binned already) on top
    /// of the bin of `pages`, counted as from the core. Precondition: the bin has room.
    @usableFromInline
    func addRunFromCore(_ address: UInt, pages: Int) {
        let bin = runBin(pages)
        let count = bin[0] &+ 1
        bin[Int(bitPattern: count)] = address
        bin[0] = count
        words[2] &+= 1
    }

    /// Takes the `count` oldest runs of the bin of `pages` out (they go back to the core),
    /// passing each run's address to `body`.
    @usableFromInline
    func removeOldestRuns(_ count: Int, pages: Int, _ body: (UInt) -> Void) {
        removeOldest(count, from: runBin(pages), body)
    }
}

extension HeapBlockLookup {
    /// The run length, in pages, the run bins serve `size` bytes at `alignment` with, or 0.
    /// Only for requests the object bins do not serve. Requests the core takes from a slab
    /// class (up to 2048 bytes at up to 2048-byte alignment) get 0, as do alignments above a
    /// page (a binned run is aligned to a page only) and anything invalid (the core decides).
    @inlinable @inline(__always)
    public func binnedRunPages(forSize size: Int, alignment: Int) -> Int {
        guard UInt(bitPattern: size) <= UInt(HeapObjectCache.largestRunPages << HeapCoreParameters.pageShift),
            alignment > 0, alignment & (alignment &- 1) == 0, alignment <= HeapCoreParameters.pageSize,
            size > HeapSizeClass.largestSize || alignment > HeapSizeClass.largestSize
        else { return 0 }
        return max(1, (size &+ HeapCoreParameters.pageSize &- 1) &>> HeapCoreParameters.pageShift)
    }

    /// The pages of the live run that starts at `pointer` if a run bin may keep it (1 ...
    /// `largestRunPages`), else 0.
    @inlinable
    func binnedRunPages(of pointer: UnsafeRawPointer) -> Int {
        let offsetInWindow = UInt(bitPattern: pointer) &- windowBase
        guard offsetInWindow < windowBytes, offsetInWindow & UInt(HeapCoreParameters.pageSize &- 1) == 0 else { return 0 }
        let descriptor = descriptors[Int(truncatingIfNeeded: offsetInWindow &>> UInt(HeapCoreParameters.pageShift))]
        guard descriptor.kind == .runHead, descriptor.link <= UInt32(HeapObjectCache.largestRunPages) else { return 0 }
        return Int(truncatingIfNeeded: descriptor.link)
    }

    /// Marks the head page of the run at `address` binned (in a run bin) or live. The caller
    /// owns the run, so no one else writes that descriptor meanwhile.
    @inlinable @inline(__always)
    func setRunHead(_ address: UInt, binned: Bool) {
        let page = Int(truncatingIfNeeded: (address &- windowBase) &>> UInt(HeapCoreParameters.pageShift))
        descriptors[page].kind = binned ? .binnedRunHead : .runHead
    }
}
