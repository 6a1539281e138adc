// The kernel heap's slab side: handing out and taking back objects of one size class from 4 KiB
// pages, each page with its own free list, plus the free-object marker that catches double frees.

/// What a pointer into a slab page designates.
@usableFromInline
enum SlabObjectStatus {
    case live
    case free
    case notAnObject
}

extension KernelHeapCore {
    /// Marker stored in the second word of every free object. Tied to the object's address so
    /// that data copied from elsewhere does not look like a free object.
    @inlinable @inline(__always)
    static func freeMarker(for address: UInt) -> UInt64 { HeapBlockLookup.freeMarker(for: address) }

    /// Takes an object of class `classIndex`, adding a slab page when the class has no room.
    @inlinable @inline(__always)
    mutating func allocateObject(ofClass classIndex: Int) -> HeapAllocation {
        let state = classStates + classIndex
        var page = Int(truncatingIfNeeded: state.pointee.partialHead)
        if state.pointee.partialHead == HeapPageDescriptor.noPage {
            switch addSlabPage(ofClass: classIndex) {
            case .claimed(let newPage): page = newPage
            case .outOfFrames:
                counters.failedAllocations &+= 1
                return .outOfFrames
            case .outOfWindow:
                counters.failedAllocations &+= 1
                return .outOfWindow
            }
        }
        let descriptor = descriptors + page
        let objectSize = Int(truncatingIfNeeded: state.pointee.objectSize)
        let pageAddress = address(ofPage: page)
        var head = descriptor.pointee.freeListHead
        var bump = Int(truncatingIfNeeded: descriptor.pointee.bumpOffset)
        // A page on the list of pages with room has one.
        let offset = Self.nextObject(head: &head, bump: &bump, pageAddress: pageAddress, objectSize: objectSize).unsafelyUnwrapped
        descriptor.pointee.freeListHead = head
        descriptor.pointee.bumpOffset = UInt16(truncatingIfNeeded: bump)
        // No longer marked free (fresh memory may also hold a stale marker from the frame's previous life).
        UnsafeMutablePointer<UInt64>(bitPattern: pageAddress &+ UInt(bitPattern: offset)).unsafelyUnwrapped[1] = 0
        descriptor.pointee.liveObjects &+= 1
        if HeapPageDescriptor.isFull(freeListHead: head, bumpOffset: bump, objectSize: objectSize) {
            leavePartialList(descriptor, state: state)
        }
        state.pointee.liveBlocks &+= 1
        recordAllocation(bytes: objectSize)
        return .allocated(UnsafeMutableRawPointer(bitPattern: pageAddress &+ UInt(bitPattern: offset)).unsafelyUnwrapped)
    }

    /// The offset of the next object a slab page hands out, from its free list (`head`) or
    /// else its uncarved tail (`bump`), both advanced past it; nil when the page is full.
    /// Callers keep `head` and `bump` in registers and store them back once.
    @inlinable @inline(__always)
    static func nextObject(head: inout UInt16, bump: inout Int, pageAddress: UInt, objectSize: Int) -> Int? {
        if head != HeapPageDescriptor.noOffset {
            let offset = Int(truncatingIfNeeded: head)
            head = HeapPageDescriptor.sanitizedLink(
                UnsafeMutablePointer<UInt64>(bitPattern: pageAddress &+ UInt(bitPattern: offset)).unsafelyUnwrapped[0])
            return offset
        }
        if bump &+ objectSize > HeapCoreParameters.pageSize { return nil }
        defer { bump &+= objectSize }
        return bump
    }

    /// A page that just became full leaves the list of pages with room (it was that list's head).
    @inlinable @inline(__always)
    mutating func leavePartialList(
        _ descriptor: UnsafeMutablePointer<HeapPageDescriptor>,
        state: UnsafeMutablePointer<HeapSizeClassState>
    ) {
        let next = descriptor.pointee.link
        state.pointee.partialHead = next
        if next != HeapPageDescriptor.noPage { descriptors[Int(truncatingIfNeeded: next)].previous = HeapPageDescriptor.noPage }
        descriptor.pointee.link = HeapPageDescriptor.noPage
    }

    /// Frees the object at `address` in slab page `page`, after checking that it is one.
    @inlinable @inline(__always)
    mutating func freeObject(at address: UInt, page: Int) -> HeapFreeResult {
        let descriptor = descriptors + page
        let state = classStates + Int(truncatingIfNeeded: descriptor.pointee.sizeClass)
        let offset = Int(truncatingIfNeeded: address) & (HeapCoreParameters.pageSize &- 1)
        switch isLiveObject(at: address, descriptor: descriptor, offset: offset, state: state) {
        case .live: break
        case .free:
            counters.doubleFrees &+= 1
            return .doubleFree
        case .notAnObject:
            counters.invalidFrees &+= 1
            return .invalid
        }
        return releaseObject(at: address, page: page, state: state, offset: offset)
    }

    /// Puts the live object at `address` (at `offset` in slab page `page`) back on its page's
    /// free list and counts the free. Precondition: it is one; nothing is checked.
    @inlinable @inline(__always)
    mutating func releaseObject(
        at address: UInt, page: Int, state: UnsafeMutablePointer<HeapSizeClassState>, offset: Int
    ) -> HeapFreeResult {
        let objectSize = Int(truncatingIfNeeded: state.pointee.objectSize)
        returnToPage(address, page: page, state: state, offset: offset, objectSize: objectSize)
        state.pointee.liveBlocks &-= 1
        recordFree(bytes: objectSize)
        return .freed(size: objectSize)
    }

    /// `returnToPage` of an object of the class `state` describes, found from its address alone.
    @inlinable @inline(__always)
    mutating func returnToPage(_ address: UInt, state: UnsafeMutablePointer<HeapSizeClassState>, objectSize: Int) {
        let offsetInWindow = address &- windowBase
        returnToPage(
            address, page: Int(truncatingIfNeeded: offsetInWindow &>> UInt(HeapCoreParameters.pageShift)), state: state,
            offset: Int(truncatingIfNeeded: offsetInWindow) & (HeapCoreParameters.pageSize &- 1), objectSize: objectSize)
    }

    /// The page's side of a free, without the class and heap counters (a drain counts once).
    @inlinable @inline(__always)
    mutating func returnToPage(
        _ address: UInt, page: Int, state: UnsafeMutablePointer<HeapSizeClassState>, offset: Int, objectSize: Int
    ) {
        let descriptor = descriptors + page
        let head = descriptor.pointee.freeListHead
        let wasFull = HeapPageDescriptor.isFull(
            freeListHead: head, bumpOffset: Int(truncatingIfNeeded: descriptor.pointee.bumpOffset), objectSize: objectSize)
        if junkFill {
            UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
                .initializeMemory(as: UInt8.self, repeating: HeapCoreParameters.junkByte, count: objectSize)
        }
        let object = UnsafeMutablePointer<UInt64>(bitPattern: address).unsafelyUnwrapped
        object[0] = UInt64(head)
        object[1] = Self.freeMarker(for: address)
        descriptor.pointee.freeListHead = UInt16(truncatingIfNeeded: offset)
        if wasFull { pushPartialPage(page, state: state) }
        descriptor.pointee.liveObjects &-= 1
        if descriptor.pointee.liveObjects == 0 { slabPageBecameEmpty(page, state: state) }
    }

    /// Classifies `address` (at `offset` in slab page `page` of class `classIndex`). O(1) unless
    /// the object carries the free marker; then the depot (a pass over its stack for the class)
    /// and a walk of the page's free list (at most one step per object on the page) decide.
    /// An object in the depot is free. Live data that happens to match the marker is still
    /// freed, but only when the walk saw the whole, intact list; if a use-after-free broke the
    /// list, the free is refused as a double free rather than risk freeing a block twice.
    @inlinable @inline(__always)
    func isLiveObject(
        at address: UInt, descriptor: UnsafeMutablePointer<HeapPageDescriptor>, offset: Int,
        state: UnsafeMutablePointer<HeapSizeClassState>
    ) -> SlabObjectStatus {
        guard offset < Int(truncatingIfNeeded: descriptor.pointee.bumpOffset), state.pointee.isObjectStart(offset)
        else { return .notAnObject }
        let object = UnsafeMutablePointer<UInt64>(bitPattern: address).unsafelyUnwrapped
        if object[1] != Self.freeMarker(for: address) { return .live }
        if depot.contains(address, classIndex: Int(truncatingIfNeeded: descriptor.pointee.sizeClass)) { return .free }
        return HeapPageDescriptor.freeListProvesLive(
            descriptor, pageAddress: address & ~UInt(HeapCoreParameters.pageSize &- 1),
            offset: offset, classIndex: Int(truncatingIfNeeded: descriptor.pointee.sizeClass)) ? .live : .free
    }

    /// Puts `page` at the head of its class's list of pages with room.
    @inlinable
    mutating func pushPartialPage(_ page: Int, state: UnsafeMutablePointer<HeapSizeClassState>) {
        let oldHead = state.pointee.partialHead
        descriptors[page].link = oldHead
        descriptors[page].previous = HeapPageDescriptor.noPage
        if oldHead != HeapPageDescriptor.noPage {
            descriptors[Int(truncatingIfNeeded: oldHead)].previous = UInt32(truncatingIfNeeded: page)
        }
        state.pointee.partialHead = UInt32(truncatingIfNeeded: page)
    }

    /// Takes `page` out of its class's list of pages with room, wherever it is.
    @usableFromInline
    mutating func unlinkPartialPage(_ page: Int, state: UnsafeMutablePointer<HeapSizeClassState>) {
        let next = descriptors[page].link
        let previous = descriptors[page].previous
        if previous == HeapPageDescriptor.noPage {
            state.pointee.partialHead = next
        } else {
            descriptors[Int(previous)].link = next
        }
        if next != HeapPageDescriptor.noPage { descriptors[Int(next)].previous = previous }
        descriptors[page].link = HeapPageDescriptor.noPage
        descriptors[page].previous = HeapPageDescriptor.noPage
    }

    /// Keeps the page as the class's empty page, or gives it back if the class already keeps
    /// another one that is still empty. In a loop on one object this stores nothing.
    @inlinable @inline(__always)
    mutating func slabPageBecameEmpty(_ page: Int, state: UnsafeMutablePointer<HeapSizeClassState>) {
        let kept = state.pointee.keptEmptyPage
        if kept == UInt32(truncatingIfNeeded: page) { return }
        if kept == HeapPageDescriptor.noPage || descriptors[Int(truncatingIfNeeded: kept)].liveObjects != 0 {
            state.pointee.keptEmptyPage = UInt32(truncatingIfNeeded: page)
            return
        }
        releaseSlabPage(page, state: state)
    }

    /// The class's kept page if it is empty right now, else nil.
    @inlinable
    func emptyKeptPage(_ state: UnsafeMutablePointer<HeapSizeClassState>) -> Int? {
        let kept = state.pointee.keptEmptyPage
        guard kept != HeapPageDescriptor.noPage, descriptors[Int(truncatingIfNeeded: kept)].liveObjects == 0 else { return nil }
        return Int(truncatingIfNeeded: kept)
    }

    /// Unmaps an empty slab page and returns it to the window.
    @usableFromInline
    mutating func releaseSlabPage(_ page: Int, state: UnsafeMutablePointer<HeapSizeClassState>) {
        unlinkPartialPage(page, state: state)
        if state.pointee.keptEmptyPage == UInt32(truncatingIfNeeded: page) {
            state.pointee.keptEmptyPage = HeapPageDescriptor.noPage
        }
        state.pointee.pages -= 1
        counters.slabPages -= 1
        releaseWindowPages(first: page, count: 1)
    }

    /// Claims, maps and sets up a fresh slab page for class `classIndex` and puts it on the
    /// class's list; the caller takes its first object at once.
    @usableFromInline
    mutating func addSlabPage(ofClass classIndex: Int) -> WindowClaim {
        let claim = claimWindowPages(count: 1, alignmentPages: 1)
        guard case .claimed(let page) = claim else { return claim }
        descriptors[page] = HeapPageDescriptor(
            link: HeapPageDescriptor.noPage, previous: HeapPageDescriptor.noPage,
            freeListHead: HeapPageDescriptor.noOffset, bumpOffset: 0, liveObjects: 0,
            kind: .slab, sizeClass: UInt8(truncatingIfNeeded: classIndex))
        let state = classStates + classIndex
        pushPartialPage(page, state: state)
        state.pointee.pages += 1
        counters.slabPages += 1
        return claim
    }
}
