// A cache of free small objects in front of the heap core: one per CPU in the kernel (one per
// thread on the host). Slab blocks (up to 2048 bytes) are taken from and put back into it without
// the heap's lock; the core is reached, under the lock, only to refill an empty bin or to drain half
// of a full one (KernelHeapCore+ObjectCaches.swift). The idea is Bonwick's magazines (and
// glibc's tcache): most frees are followed by an allocation of the same size on the same CPU.
//
// Every user (kmalloc/kfree, heap-bench, the host tests) goes through the same two steps:
// `allocate`/`free` here without the lock, and when they return nil/a block,
// `KernelHeapCore.allocate(size:alignment:refilling:)`/`free(_:classified:cache:cachesHold:)`
// under it.

/// One CPU's (or thread's) bins of free objects, one bin per slab size class, in storage the
/// owner provides. A value is a view: copies share the storage.
///
/// - Only the owner uses it, and never re-entrantly (the kernel: its own CPU with interrupts
///   off). `contains` may be asked from elsewhere; it reads without synchronisation.
/// - The core counts cached objects as allocated; the owner subtracts `blocks` and `bytes` of
///   every cache from the core's figures.
/// - A cached object carries the core's free marker in its second word, like an object on a
///   page's free list, so a second free of it is recognised (`HeapBlockLookup`).
public struct HeapObjectCache {
    /// Size classes served: every slab class, 16 ... 2048 bytes (`HeapSizeClass`).
    @inlinable public static var classCount: Int { HeapSizeClass.count }
    /// Largest request served from the cache.
    @inlinable public static var largestSize: Int { HeapSizeClass.largestSize }
    /// Slots of one bin: the objects a bin of objects up to 256 bytes holds.
    @inlinable public static var binCapacity: Int { 32 }
    /// Bytes of objects the bin of a larger class holds at most, so that the bins of one CPU
    /// keep at most 123 KiB of free objects out of the other CPUs' reach (44 KiB of them in
    /// the classes up to 256 bytes).
    @inlinable public static var binBytes: Int { 8192 }
    /// Objects the bin of class `classIndex` holds: 32 up to 256 bytes, then fewer (4 of 2048 bytes).
    public static func capacity(ofClass classIndex: Int) -> Int {
        min(binCapacity, binBytes / HeapSizeClass.size(ofClass: classIndex))
    }
    /// Objects a refill brings or a drain takes away: half a bin (16 up to 256 bytes).
    public static func batch(ofClass classIndex: Int) -> Int { capacity(ofClass: classIndex) / 2 }
    /// Words per bin: the count, then `binCapacity` slots (oldest first).
    @inlinable static var binWords: Int { binCapacity + 1 }
    /// Words before the capacities: objects taken ever, the predicted class of the next free
    /// (see `free`), objects the core put in (refills) and objects given back to it (drains), ever.
    @inlinable static var counterWords: Int { 4 }
    /// Words before the bins: the counters, each class's `capacity(ofClass:)`, then each run
    /// bin's `runCapacity(pages:)` (HeapObjectCache+RunBins.swift).
    @inlinable static var headerWords: Int { counterWords + classCount + runBinCount }
    /// The object bins, then the run bins.
    @inlinable static var totalWords: Int { headerWords + classCount * binWords + runBinCount * runBinWords }
    /// Bytes of storage one cache needs.
    @inlinable public static var storageBytes: Int { totalWords * 8 }

    @usableFromInline let words: UnsafeMutablePointer<UInt>

    /// A view of a cache in `storage` (8-byte aligned, `storageBytes` long) that `prepare` set up.
    @inlinable
    public init(storage: UnsafeMutableRawPointer) {
        words = storage.assumingMemoryBound(to: UInt.self)
    }

    /// Makes `storage` an empty cache.
    public static func prepare(storage: UnsafeMutableRawPointer) -> HeapObjectCache {
        let words = storage.bindMemory(to: UInt.self, capacity: totalWords)
        words.initialize(repeating: 0, count: totalWords)
        var classIndex = 0
        while classIndex < classCount {
            words[counterWords + classIndex] = UInt(bitPattern: capacity(ofClass: classIndex))
            classIndex += 1
        }
        for pages in 1...largestRunPages {
            words[counterWords + classCount + pages - 1] = UInt(bitPattern: runCapacity(pages: pages))
        }
        return HeapObjectCache(storage: storage)
    }

    /// `capacity(ofClass:)`, read from the cache's header (one load, no division).
    @inlinable @inline(__always)
    public func capacity(classIndex: Int) -> Int { Int(bitPattern: words[Self.counterWords &+ classIndex]) }

    /// `batch(ofClass:)`, from the header.
    @inlinable @inline(__always)
    public func batch(classIndex: Int) -> Int { capacity(classIndex: classIndex) &>> 1 }

    @inlinable @inline(__always)
    func bin(_ classIndex: Int) -> UnsafeMutablePointer<UInt> { words + (Self.headerWords &+ classIndex &* Self.binWords) }

    /// Objects handed out from the bins, ever.
    @inlinable public var takes: Int { Int(bitPattern: words[0]) }
    /// Objects freed into the bins, ever: what the bins hold, less what came and went otherwise
    /// (counted this way so that the free path has one store fewer).
    @inlinable public var puts: Int { puts(holding: blocks) }
    /// `puts`, given what the bins hold now.
    @inlinable func puts(holding blocks: Int) -> Int { blocks &+ takes &+ toCore &- fromCore }
    /// The class `free` expects next: that of the last take, or of the last free that differed.
    @inlinable var predictedClass: Int { Int(bitPattern: words[1]) }
    /// Objects the core put into the bins (refills), ever.
    @inlinable public var fromCore: Int { Int(bitPattern: words[2]) }
    /// Objects the bins gave back to the core (drains), ever.
    @inlinable public var toCore: Int { Int(bitPattern: words[3]) }

    /// kmalloc's lock-free step: an object for `size` bytes at `alignment` from its bin, or nil
    /// when the core must serve the request (`KernelHeapCore.allocate(size:alignment:refilling:)`).
    @inlinable @inline(__always)
    public func allocate(size: Int, alignment: Int, _ lookup: HeapBlockLookup) -> UnsafeMutableRawPointer? {
        let classIndex = lookup.cachedClass(forSize: size, alignment: alignment)
        return classIndex < 0 ? takeRun(size: size, alignment: alignment, lookup) : take(classIndex: classIndex)
    }

    /// kfree's lock-free step: nil when `object` went into its bin (or, a run of up to
    /// `largestRunPages` pages, into its run bin); otherwise what it is, for
    /// `KernelHeapCore.free(_:classified:cache:cachesHold:)` under the lock (a cacheable block
    /// whose bin is full, one that looks free already, or anything the cache does not keep).
    ///
    /// The bin is picked before the block's class is known, from `predictedClass`; a right
    /// guess (an allocate/free churn of one size, or a run of frees of one size) lets the CPU
    /// work on the bin while the page descriptor that tells the class is still being read,
    /// instead of after it: half the time of a pair on the host (docs/performance.md). A
    /// wrong guess costs the branch. The side effect on the wrong-guess path keeps the
    /// compiler from folding the two paths back into one that waits for the class.
    @inlinable @inline(__always)
    public func free(_ object: UnsafeMutableRawPointer, _ lookup: HeapBlockLookup) -> CachedBlock? {
        let predicted = predictedClass
        let predictedBin = bin(predicted)
        let predictedCapacity = capacity(classIndex: predicted)
        let block = lookup.classify(object)
        guard case .cacheable(let classIndex) = block else { return block == .other ? keepRun(object, lookup) : block }
        let bin: UnsafeMutablePointer<UInt>
        let capacity: Int
        if classIndex == predicted {
            bin = predictedBin
            capacity = predictedCapacity
        } else {
            words[1] = UInt(bitPattern: classIndex)
            bin = self.bin(classIndex)
            capacity = self.capacity(classIndex: classIndex)
        }
        return Self.pushIfRoom(object, onto: bin, capacity: capacity) ? nil : block
    }

    /// The newest object of class `classIndex`, or nil when its bin is empty.
    @inlinable @inline(__always)
    public func take(classIndex: Int) -> UnsafeMutableRawPointer? {
        let bin = bin(classIndex)
        let count = bin[0]
        if count == 0 { return nil }
        bin[0] = count &- 1
        words[0] &+= 1
        words[1] = UInt(bitPattern: classIndex)
        let object = UnsafeMutableRawPointer(bitPattern: bin[Int(bitPattern: count)]).unsafelyUnwrapped
        object.storeBytes(of: 0, toByteOffset: 8, as: UInt64.self)  // no longer marked free
        return object
    }

    /// Keeps `object` (the start of a live object of class `classIndex`, being freed); false
    /// when the bin is full.
    @inlinable @inline(__always)
    public func put(_ object: UnsafeMutableRawPointer, classIndex: Int) -> Bool {
        Self.pushIfRoom(object, onto: bin(classIndex), capacity: capacity(classIndex: classIndex))
    }

    /// `push` onto `bin` unless it holds `capacity` objects already; false when it does.
    @inlinable @inline(__always)
    static func pushIfRoom(_ object: UnsafeMutableRawPointer, onto bin: UnsafeMutablePointer<UInt>, capacity: Int) -> Bool {
        let count = bin[0]
        guard count < UInt(bitPattern: capacity) else { return false }
        push(object, onto: bin, count: count)
        return true
    }

    /// Starts a refill of the bin of class `classIndex`: objects go in through the filler, and
    /// `finishFill` publishes them (the count is stored once, not once per object).
    @inlinable @inline(__always)
    func startFill(classIndex: Int) -> BinFiller {
        let bin = bin(classIndex)
        return BinFiller(bin: bin, count: bin[0])
    }

    /// Ends a refill: the bin holds what went through `filler`, counted as from the core.
    @inlinable @inline(__always)
    func finishFill(_ filler: BinFiller, added: Int) {
        filler.bin[0] = filler.count
        words[2] &+= UInt(bitPattern: added)
    }

    /// Puts the `count` objects listed oldest first at `objects` on top of bin `classIndex`,
    /// counted as from the core. They carry the free marker already (the core's depot holds
    /// them), so only pointers move. Precondition: the bin has room.
    @inlinable @inline(__always)
    func restock(from objects: UnsafePointer<UInt>, count: Int, classIndex: Int) {
        var filler = startFill(classIndex: classIndex)
        var index = 0
        while index < count {
            filler.addMarked(objects[index])
            index &+= 1
        }
        finishFill(filler, added: count)
    }

    /// Marks `object` free and puts it on top of `bin`, which holds `count` objects.
    /// Precondition: `count` is below the capacity.
    @inlinable @inline(__always)
    static func push(_ object: UnsafeMutableRawPointer, onto bin: UnsafeMutablePointer<UInt>, count: UInt) {
        object.storeBytes(of: HeapBlockLookup.freeMarker(for: UInt(bitPattern: object)), toByteOffset: 8, as: UInt64.self)
        bin[Int(bitPattern: count) &+ 1] = UInt(bitPattern: object)
        bin[0] = count &+ 1
    }

    /// Whether `object` sits in the bin of class `classIndex`.
    public func contains(_ object: UnsafeRawPointer, classIndex: Int) -> Bool {
        let bin = bin(classIndex)
        let count = min(Int(bitPattern: bin[0]), Self.binCapacity)
        var slot = 1
        while slot <= count {
            if bin[slot] == UInt(bitPattern: object) { return true }
            slot += 1
        }
        return false
    }

    /// Objects in the bin of class `classIndex`.
    @inlinable
    public func count(classIndex: Int) -> Int { Int(bitPattern: bin(classIndex)[0]) }

    /// Objects and runs in every bin.
    public var blocks: Int { contents.blocks }

    /// Objects and runs in every bin and their usable bytes, in one pass.
    public var contents: (blocks: Int, bytes: Int) {
        var blocks = 0
        var bytes = 0
        var classIndex = 0
        while classIndex < Self.classCount {
            let count = count(classIndex: classIndex)
            blocks += count
            bytes += count * HeapSizeClass.size(ofClass: classIndex)
            classIndex += 1
        }
        for pages in 1...Self.largestRunPages {
            let count = runCount(pages: pages)
            blocks += count
            bytes += count * pages << HeapCoreParameters.pageShift
        }
        return (blocks, bytes)
    }

    /// Takes the `count` oldest objects of bin `classIndex` out (they go back to the core),
    /// passing each to `body`.
    @inlinable
    func removeOldest(_ count: Int, classIndex: Int, _ body: (UInt) -> Void) {
        removeOldest(count, from: bin(classIndex), body)
    }

    /// Takes the `count` oldest entries of `bin` (an object bin or a run bin: its count at [0],
    /// the oldest entry at [1]) out, passing each to `body`, and counts them as drained.
    @inlinable
    func removeOldest(_ count: Int, from bin: UnsafeMutablePointer<UInt>, _ body: (UInt) -> Void) {
        let held = Int(bitPattern: bin[0])
        let taken = min(count, held)
        var slot = 1
        while slot <= taken {
            body(bin[slot])
            slot &+= 1
        }
        var from = taken &+ 1
        while from <= held {
            bin[from &- taken] = bin[from]
            from &+= 1
        }
        bin[0] = UInt(bitPattern: held &- taken)
        words[3] &+= UInt(bitPattern: taken)
    }
}

/// A bin being refilled, its count in a register until `HeapObjectCache.finishFill`.
@usableFromInline
struct BinFiller {
    @usableFromInline let bin: UnsafeMutablePointer<UInt>
    @usableFromInline var count: UInt

    @inlinable
    init(bin: UnsafeMutablePointer<UInt>, count: UInt) {
        self.bin = bin
        self.count = count
    }

    /// Puts `object` (fresh from the core) on top. Precondition: the bin has room.
    @inlinable @inline(__always)
    mutating func add(_ object: UnsafeMutableRawPointer) {
        HeapObjectCache.push(object, onto: bin, count: count)
        count &+= 1
    }

    /// Puts the object at `address`, which carries the free marker already, on top.
    /// Precondition: the bin has room.
    @inlinable @inline(__always)
    mutating func addMarked(_ address: UInt) {
        count &+= 1
        bin[Int(bitPattern: count)] = address
    }
}

/// What every object cache holds and has done, summed: what the core's figures are corrected by
/// (the core counts a refilled object as allocated and a drained one as freed; callers count
/// the takes and puts).
public struct HeapCacheTotals {
    public var blocks = 0
    public var bytes = 0
    public var takes = 0
    public var puts = 0
    public var fromCore = 0
    public var toCore = 0
    /// Pages of the runs in run bins (among `blocks` and `bytes`).
    public var runPages = 0

    public init() {}

    public mutating func add(_ cache: HeapObjectCache) {
        let contents = cache.contents
        add(contents)
        runPages += cache.runPages
        takes += cache.takes
        puts += cache.puts(holding: contents.blocks)
        fromCore += cache.fromCore
        toCore += cache.toCore
    }

    /// Adds only what `cache` holds, all that `runningFigures(correctedBy:)` reads: one pass
    /// over its bins.
    public mutating func addContents(_ cache: HeapObjectCache) { add(cache.contents) }

    private mutating func add(_ contents: (blocks: Int, bytes: Int)) {
        blocks += contents.blocks
        bytes += contents.bytes
    }
}

/// What a pointer being freed is, as far as the lock-free path can tell.
public enum CachedBlock: Equatable {
    /// The start of an object of a cached class (0 ... 21) that does not look free: it may go
    /// into the freeing CPU's cache.
    case cacheable(Int)
    /// The start of an object of a cached class that carries the free marker: a double free,
    /// unless live data happens to match; the locked path decides.
    case markedFree(Int)
    /// The start of a live run of this many pages (1 ... `HeapObjectCache.largestRunPages`)
    /// whose run bin is full: the locked path drains the bin, then keeps the run there.
    case run(pages: Int)
    /// Anything else: a longer run, a binned run (a double free), or not a block at all. The
    /// locked path.
    case other
}

/// The heap's fixed tables, read without its lock: where a request or a block belongs.
/// Everything it reads is set up by `KernelHeapCore.init` and, for a block the caller owns,
/// stays put while the block is live.
public struct HeapBlockLookup {
    @usableFromInline let windowBase: UInt
    @usableFromInline let windowBytes: UInt
    @usableFromInline let descriptors: UnsafeMutablePointer<HeapPageDescriptor>
    @usableFromInline let classStates: UnsafeMutablePointer<HeapSizeClassState>
    @usableFromInline let classForUnits: UnsafeMutablePointer<UInt8>

    @inlinable
    init(
        windowBase: UInt, windowBytes: UInt, descriptors: UnsafeMutablePointer<HeapPageDescriptor>,
        classStates: UnsafeMutablePointer<HeapSizeClassState>, classForUnits: UnsafeMutablePointer<UInt8>
    ) {
        self.windowBase = windowBase
        self.windowBytes = windowBytes
        self.descriptors = descriptors
        self.classStates = classStates
        self.classForUnits = classForUnits
    }

    /// The marker word of a free object at `address` (second word of the object).
    @inlinable @inline(__always)
    public static func freeMarker(for address: UInt) -> UInt64 {
        UInt64(truncatingIfNeeded: address) ^ HeapCoreParameters.freeObjectMarkerKey
    }

    /// The cached class that serves `size` bytes at `alignment`, or -1 when the cache does not
    /// serve such a request (then the core decides, validation included).
    @inlinable @inline(__always)
    public func cachedClass(forSize size: Int, alignment: Int) -> Int {
        // Sizes 0 ... 2048 with alignment 1, 2, 4, 8 or 16 (bits of 0x10116).
        guard UInt(bitPattern: size) <= UInt(HeapObjectCache.largestSize),
            UInt(bitPattern: alignment) <= UInt(HeapCoreParameters.minimumAlignment),
            (0x10116 &>> UInt(bitPattern: alignment)) & 1 != 0
        else { return -1 }
        return Int(truncatingIfNeeded: classForUnits[(size &+ 15) &>> 4])
    }

    /// What `pointer` is, for a free. Reads only a slab page's descriptor and, for an object
    /// start below the page's carved part, the object's marker word: never an unmapped page.
    @inlinable @inline(__always)
    public func classify(_ pointer: UnsafeRawPointer) -> CachedBlock {
        let address = UInt(bitPattern: pointer)
        let offsetInWindow = address &- windowBase
        guard offsetInWindow < windowBytes else { return .other }
        let descriptor = descriptors[Int(truncatingIfNeeded: offsetInWindow &>> UInt(HeapCoreParameters.pageShift))]
        let classIndex = Int(truncatingIfNeeded: descriptor.sizeClass)
        let offset = Int(truncatingIfNeeded: offsetInWindow) & (HeapCoreParameters.pageSize &- 1)
        guard descriptor.kind == .slab,  // every slab class is cached
            offset < Int(truncatingIfNeeded: descriptor.bumpOffset),
            classStates[classIndex].isObjectStart(offset)  // the object size and its reciprocal never change
        else { return .other }
        if pointer.load(fromByteOffset: 8, as: UInt64.self) == Self.freeMarker(for: address) { return .markedFree(classIndex) }
        return .cacheable(classIndex)
    }
}
