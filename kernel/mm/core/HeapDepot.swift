// The heap core's depot: objects the per-CPU object caches gave back, kept as a stack of
// pointers per size class instead of being put back on their pages, so that the next refill
// of any CPU's bin copies pointers rather than following a page's free list. Bonwick's magazine
// depot (Solaris kmem, "Magazines and Vmem", 2001); Linux's slab sheaves keep theirs in a "barn".

/// One stack of free objects per slab size class, in the heap's metadata, used under the
/// heap's lock only.
///
/// - An object in the depot carries the free marker (it came from a bin) and counts as free in
///   the core's figures, but as live on its page: no page's free list holds it, so its page
///   stays mapped until the depot is flushed (`KernelHeapCore.flushDepot`, which
///   `releaseCachedPages` does, and with it every allocation about to fail).
/// - A class holds at most `capacity(ofClass:)` objects (`HeapCoreParameters`: 64 KiB of
///   them, 1,024 at most), so the depot pins 1,312 KiB of objects at most.
@usableFromInline
struct HeapDepot {
    /// Each class's stack: the offset of its first word in `words`, from the table at the start.
    @usableFromInline let words: UnsafeMutablePointer<UInt>

    /// Words of storage: the table of offsets, then per class the count and its slots (oldest first).
    static var storageWords: Int {
        var total = HeapObjectCache.classCount
        var classIndex = 0
        while classIndex < HeapObjectCache.classCount {
            total += 1 + capacity(ofClass: classIndex)
            classIndex += 1
        }
        return total
    }

    /// Bytes of metadata the depot needs.
    static var storageBytes: Int { storageWords * 8 }

    /// An empty depot in `storage` (8-byte aligned, `storageBytes` long).
    init(storage: UnsafeMutableRawPointer) {
        words = storage.bindMemory(to: UInt.self, capacity: Self.storageWords)
        var offset = HeapObjectCache.classCount
        var classIndex = 0
        while classIndex < HeapObjectCache.classCount {
            words[classIndex] = UInt(bitPattern: offset)
            words[offset] = 0
            offset += 1 + Self.capacity(ofClass: classIndex)
            classIndex += 1
        }
    }

    /// Objects of `objectSize` bytes one class may hold.
    @inlinable @inline(__always)
    static func capacity(objectSize: Int) -> Int {
        min(HeapCoreParameters.depotSlotsPerClass, HeapCoreParameters.depotBytesPerClass / objectSize)
    }

    /// Objects class `classIndex` may hold.
    static func capacity(ofClass classIndex: Int) -> Int { capacity(objectSize: HeapSizeClass.size(ofClass: classIndex)) }

    /// The stack of class `classIndex`: its count, then its slots.
    @inlinable @inline(__always)
    func stack(_ classIndex: Int) -> UnsafeMutablePointer<UInt> { words + Int(bitPattern: words[classIndex]) }

    /// Objects class `classIndex` holds.
    @inlinable @inline(__always)
    func count(classIndex: Int) -> Int { Int(bitPattern: stack(classIndex)[0]) }

    /// Whether the object at `address` is in the stack of class `classIndex` (a second free of
    /// it, or of data that only looks free). One pass over at most `depotSlotsPerClass` slots.
    @usableFromInline
    func contains(_ address: UInt, classIndex: Int) -> Bool {
        let stack = stack(classIndex)
        let count = Int(bitPattern: stack[0])
        var slot = 1
        while slot <= count {
            if stack[slot] == address { return true }
            slot += 1
        }
        return false
    }
}
