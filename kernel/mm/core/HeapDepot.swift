// The heap core's depot: objects the per-CPU object caches gave back, kept as a stack of
// pointers per cached class instead of being put back on their pages, so that the next refill
// of any CPU's bin copies pointers rather than following a page's free list. Bonwick's magazine
// depot (Solaris kmem, "Magazines and Vmem", 2001); Linux's slab sheaves keep theirs in a "barn".

/// One stack of free objects per cached size class (0 ..< `HeapObjectCache.classCount`), in the
/// heap's metadata, used under the heap's lock only.
///
/// - An object in the depot carries the free marker (it came from a bin) and counts as free in
///   the core's figures, but as live on its page: no page's free list holds it, so its page
///   stays mapped until the depot is flushed (`KernelHeapCore.flushDepot`, which
///   `releaseCachedPages` does, and with it every allocation about to fail).
/// - A class holds at most `capacity(objectSize:)` objects (`HeapCoreParameters`: 64 KiB of
///   them, 1,024 at most), so the depot pins 672 KiB of objects at most.
@usableFromInline
struct HeapDepot {
    /// Words per class: the count, then the slots (oldest first).
    @inlinable static var stackWords: Int { HeapCoreParameters.depotSlotsPerClass + 1 }
    /// Bytes of metadata the depot needs.
    static var storageBytes: Int { HeapObjectCache.classCount * stackWords * 8 }

    @usableFromInline let words: UnsafeMutablePointer<UInt>

    /// An empty depot in `storage` (8-byte aligned, `storageBytes` long).
    init(storage: UnsafeMutableRawPointer) {
        words = storage.bindMemory(to: UInt.self, capacity: HeapObjectCache.classCount * Self.stackWords)
        var classIndex = 0
        while classIndex < HeapObjectCache.classCount {
            stack(classIndex)[0] = 0
            classIndex += 1
        }
    }

    /// Objects of `objectSize` bytes one class may hold.
    @inlinable @inline(__always)
    static func capacity(objectSize: Int) -> Int {
        min(HeapCoreParameters.depotSlotsPerClass, HeapCoreParameters.depotBytesPerClass / objectSize)
    }

    /// The stack of class `classIndex`: its count, then its slots.
    @inlinable @inline(__always)
    func stack(_ classIndex: Int) -> UnsafeMutablePointer<UInt> { words + classIndex &* Self.stackWords }

    /// Objects class `classIndex` holds.
    @inlinable @inline(__always)
    func count(classIndex: Int) -> Int { Int(bitPattern: stack(classIndex)[0]) }

    /// Whether the object at `address` is in the stack of class `classIndex` (a second free of
    /// it, or of data that only looks free). One pass over at most `depotSlotsPerClass` slots.
    @usableFromInline
    func contains(_ address: UInt, classIndex: Int) -> Bool {
        guard classIndex < HeapObjectCache.classCount else { return false }
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
