// What the kernel heap knows about each page of its window: one 16-byte descriptor per page,
// indexed by (address - windowBase) >> 12, so `free` learns a block's size from the pointer alone.

/// The role a window page currently plays. A struct over a byte rather than an enum, so that no
/// Hashable conformance (and with it the stdlib's hash seeding) is pulled into the kernel.
@usableFromInline
struct HeapPageKind: Equatable {
    @usableFromInline let rawValue: UInt8
    @inlinable init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Not in use and not mapped.
    @inlinable static var unused: HeapPageKind { HeapPageKind(rawValue: 0) }
    /// A slab page holding objects of one size class.
    @inlinable static var slab: HeapPageKind { HeapPageKind(rawValue: 1) }
    /// First page of a live page run (a large block starts here).
    @inlinable static var runHead: HeapPageKind { HeapPageKind(rawValue: 2) }
    /// Any later page of a run, live or cached.
    @inlinable static var runInterior: HeapPageKind { HeapPageKind(rawValue: 3) }
    /// First page of a freed run kept mapped in the run cache.
    @inlinable static var cachedRunHead: HeapPageKind { HeapPageKind(rawValue: 4) }
}

/// Per-page bookkeeping. Offsets are from the page start; `noOffset` means "none".
@usableFromInline
struct HeapPageDescriptor {
    /// Slab pages: next page in the class's list of pages with room. Run heads: pages in the run.
    @usableFromInline var link: UInt32
    /// Slab pages: previous page in that list.
    @usableFromInline var previous: UInt32
    /// Slab pages: offset of the first object on the page's free list.
    @usableFromInline var freeListHead: UInt16
    /// Slab pages: objects at or above this offset have never been handed out (the page is
    /// carved lazily, so a fresh page costs nothing to set up).
    @usableFromInline var bumpOffset: UInt16
    /// Slab pages: objects currently allocated.
    @usableFromInline var liveObjects: UInt16
    @usableFromInline var kind: HeapPageKind
    /// Slab pages: the size class.
    @usableFromInline var sizeClass: UInt8

    @inlinable
    init(
        link: UInt32, previous: UInt32, freeListHead: UInt16, bumpOffset: UInt16,
        liveObjects: UInt16, kind: HeapPageKind, sizeClass: UInt8
    ) {
        self.link = link
        self.previous = previous
        self.freeListHead = freeListHead
        self.bumpOffset = bumpOffset
        self.liveObjects = liveObjects
        self.kind = kind
        self.sizeClass = sizeClass
    }

    /// "No page" in `link`/`previous` and in list heads.
    @inlinable static var noPage: UInt32 { .max }
    /// "No object" in `freeListHead` and in free-list links.
    @inlinable static var noOffset: UInt16 { .max }

    /// The descriptor of a page that is neither used nor mapped.
    @inlinable static var unused: HeapPageDescriptor {
        HeapPageDescriptor(
            link: noPage, previous: noPage, freeListHead: noOffset, bumpOffset: 0,
            liveObjects: 0, kind: .unused, sizeClass: 0)
    }

    /// Whether a slab page with this free-list head and carve offset has no object left to hand out.
    @inlinable @inline(__always)
    static func isFull(freeListHead: UInt16, bumpOffset: Int, objectSize: Int) -> Bool {
        freeListHead == noOffset && bumpOffset &+ objectSize > HeapCoreParameters.pageSize
    }

    /// A valid free-list link is an in-page, 16-byte aligned offset; anything else (including
    /// `noOffset`, or a link a use-after-free overwrote) reads as the end of the list, so the
    /// heap never follows a link out of the page.
    @inlinable @inline(__always)
    static func sanitizedLink(_ raw: UInt64) -> UInt16 {
        raw & ~0xFF0 == 0 ? UInt16(truncatingIfNeeded: raw) : noOffset
    }

    /// True only if the free list of the slab page `descriptor` describes (mapped at
    /// `pageAddress`, class `classIndex`) is intact (every link valid, exactly as many entries
    /// as free objects) and does not contain `offset`. At most one step per object on the page.
    @usableFromInline
    static func freeListProvesLive(
        _ descriptor: UnsafeMutablePointer<HeapPageDescriptor>, pageAddress: UInt, offset: Int, classIndex: Int
    ) -> Bool {
        let bump = Int(descriptor.pointee.bumpOffset)
        let handedOut = Int((UInt64(bump) &* HeapSizeClass.reciprocal(ofClass: classIndex)) >> 32)
        let expectedFree = handedOut - Int(descriptor.pointee.liveObjects)
        var cursor = descriptor.pointee.freeListHead
        var visited = 0
        while cursor != noOffset {
            guard visited < expectedFree, Int(cursor) != offset, Int(cursor) < bump,
                HeapSizeClass.isObjectStart(Int(cursor), ofClass: classIndex)
            else { return false }
            let link = UnsafeMutablePointer<UInt64>(bitPattern: pageAddress + UInt(cursor)).unsafelyUnwrapped[0]
            // A link that is neither valid nor the end marker means the list was overwritten.
            if link != UInt64(noOffset) && sanitizedLink(link) == noOffset { return false }
            cursor = sanitizedLink(link)
            visited += 1
        }
        return visited == expectedFree
    }
}

/// Per-size-class bookkeeping, kept in the heap's metadata area. The object size and its
/// reciprocal are copied here from `HeapSizeClass` so the hot paths load them instead of
/// branching through a switch.
@usableFromInline
struct HeapSizeClassState {
    /// First page of the class's doubly linked list of slab pages with at least one free slot.
    @usableFromInline var partialHead: UInt32
    /// `HeapSizeClass.size(ofClass:)` of this class.
    @usableFromInline var objectSize: UInt32
    /// `HeapSizeClass.reciprocal(ofClass:)` of this class.
    @usableFromInline var reciprocal: UInt64
    /// The page this class keeps mapped when it empties, or `noPage`. A hint that costs
    /// nothing on allocation: the page may have received objects since; it only counts as
    /// empty while its `liveObjects` is 0. Invariant: every other slab page of the class
    /// holds at least one live object (an emptied page either becomes this one or is released).
    @usableFromInline var keptEmptyPage: UInt32
    /// Slab pages of this class currently mapped.
    @usableFromInline var pages: Int
    /// Objects of this class currently allocated.
    @usableFromInline var liveBlocks: Int

    @inlinable
    init(classIndex: Int) {
        partialHead = HeapPageDescriptor.noPage
        objectSize = UInt32(truncatingIfNeeded: HeapSizeClass.size(ofClass: classIndex))
        reciprocal = HeapSizeClass.reciprocal(ofClass: classIndex)
        keptEmptyPage = HeapPageDescriptor.noPage
        pages = 0
        liveBlocks = 0
    }

    /// Whether `offset` (below 4096) is where an object of this class starts.
    @inlinable @inline(__always)
    func isObjectStart(_ offset: Int) -> Bool {
        let slot = (UInt64(truncatingIfNeeded: offset) &* reciprocal) &>> 32
        return UInt64(truncatingIfNeeded: offset) == slot &* UInt64(objectSize)
    }
}

/// One slot of the run cache: a freed page run kept mapped for reuse (`pages == 0`: empty slot).
@usableFromInline
struct HeapRunCacheSlot {
    @usableFromInline var firstPage: UInt32
    @usableFromInline var pages: UInt32

    @inlinable
    init(firstPage: UInt32, pages: UInt32) {
        self.firstPage = firstPage
        self.pages = pages
    }

    @inlinable static var empty: HeapRunCacheSlot { HeapRunCacheSlot(firstPage: 0, pages: 0) }
}
