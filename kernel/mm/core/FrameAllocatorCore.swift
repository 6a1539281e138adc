// Physical frame allocator core: a bitmap of free frames plus a bitmap of usable ones, over
// storage the kernel provides. Pure data structure; the kernel supplies the memory map and the lock.

/// Tracks which physical frames (4 KiB, frame n = physical address n * 4096) are free.
///
/// Two bitmaps share the caller's storage: `free` (1 = free) then `usable` (1 = the memory
/// map reported the frame as RAM). A frame never added as usable can never be allocated, and
/// freeing it is reported rather than believed.
///
/// Not thread-safe: the kernel holds its frame-allocator spinlock around every call.
public struct FrameAllocatorCore {
    @usableFromInline let freeBits: UnsafeMutablePointer<UInt64>
    @usableFromInline let usableBits: UnsafeMutablePointer<UInt64>
    /// Frames the bitmaps describe: frame numbers are `0..<frameCount`.
    public let frameCount: Int
    /// Invariant: no word below `searchHint` has a free bit, so scans may start there.
    @usableFromInline var searchHint: Int
    @usableFromInline var usableCount: Int
    @usableFromInline var freeCount: Int
    @usableFromInline var lowWater: Int

    /// Words of storage `init` needs for `frameCount` frames (both bitmaps).
    public static func bitmapWords(frameCount: Int) -> Int {
        2 * BitmapSearch.wordCount(bits: max(0, frameCount))
    }

    /// `bitmap` has room for `bitmapWords(frameCount:)` words (caller-owned, any content, and
    /// it must outlive the allocator); every frame starts out *not* usable.
    public init(bitmap: UnsafeMutablePointer<UInt64>, frameCount: Int) {
        precondition(frameCount >= 0, "FrameAllocatorCore: negative frame count")
        let words = BitmapSearch.wordCount(bits: frameCount)
        freeBits = bitmap
        usableBits = bitmap + words
        self.frameCount = frameCount
        var index = 0
        while index < 2 * words {
            bitmap[index] = 0
            index += 1
        }
        searchHint = 0
        usableCount = 0
        freeCount = 0
        lowWater = 0
    }

    /// Frames ever added as usable.
    public var totalFrames: Int { usableCount }
    /// Usable frames not currently allocated or reserved.
    public var freeFrames: Int { freeCount }
    /// Smallest `freeFrames` seen since init or the last `resetLowWater()`. Call
    /// `resetLowWater()` once the memory map and reservations are in, or it stays 0.
    public var lowWaterFrames: Int { lowWater }

    /// Starts low-water tracking afresh from the current free count.
    public mutating func resetLowWater() { lowWater = freeCount }

    /// Marks frames `[firstFrame, firstFrame + count)` usable and free (a RAM range from the
    /// memory map); the range is clipped to `0..<frameCount`. Frames already usable keep their
    /// state, so overlapping map entries do not free allocated frames. Add every range before
    /// reserving the kernel image, modules and metadata inside them.
    public mutating func addFreeRange(firstFrame: Int, count: Int) {
        let start = max(0, firstFrame)
        let end = min(frameCount, firstFrame > Int.max - max(0, count) ? Int.max : firstFrame + count)
        guard start < end else { return }
        var wordIndex = start >> 6
        while wordIndex <= (end - 1) >> 6 {
            let newlyUsable = BitmapSearch.mask(ofWord: wordIndex, start: start, end: end) & ~usableBits[wordIndex]
            usableBits[wordIndex] |= newlyUsable
            freeBits[wordIndex] |= newlyUsable
            usableCount += newlyUsable.nonzeroBitCount
            freeCount += newlyUsable.nonzeroBitCount
            wordIndex += 1
        }
        searchHint = min(searchHint, start >> 6)
    }

    /// Marks the free frames among `[firstFrame, firstFrame + count)` as in use (clipped to
    /// `0..<frameCount`). Frames that are not usable or already in use are left alone. A
    /// reserved frame may later be given back with `free`.
    public mutating func reserve(firstFrame: Int, count: Int) {
        let start = max(0, firstFrame)
        let end = min(frameCount, firstFrame > Int.max - max(0, count) ? Int.max : firstFrame + count)
        guard start < end else { return }
        var wordIndex = start >> 6
        while wordIndex <= (end - 1) >> 6 {
            let taken = BitmapSearch.mask(ofWord: wordIndex, start: start, end: end) & freeBits[wordIndex]
            freeBits[wordIndex] &= ~taken
            freeCount -= taken.nonzeroBitCount
            wordIndex += 1
        }
        lowWater = min(lowWater, freeCount)
    }

    /// Makes frames `[firstFrame, firstFrame + count)` not usable (clipped to `0..<frameCount`):
    /// they leave `totalFrames` (and `freeFrames` if free), are never allocated, and freeing
    /// one reports `.notUsable`. For memory that must never be handed out or given back (the
    /// first MiB, the kernel image); use `reserve` for memory that may be freed later.
    public mutating func withdraw(firstFrame: Int, count: Int) {
        let start = max(0, firstFrame)
        let end = min(frameCount, firstFrame > Int.max - max(0, count) ? Int.max : firstFrame + count)
        guard start < end else { return }
        var wordIndex = start >> 6
        while wordIndex <= (end - 1) >> 6 {
            let mask = BitmapSearch.mask(ofWord: wordIndex, start: start, end: end)
            usableCount -= (usableBits[wordIndex] & mask).nonzeroBitCount
            freeCount -= (freeBits[wordIndex] & mask).nonzeroBitCount
            usableBits[wordIndex] &= ~mask
            freeBits[wordIndex] &= ~mask
            wordIndex += 1
        }
        lowWater = min(lowWater, freeCount)
    }

    /// Takes one free frame (the lowest-numbered one), or returns nil when none is left.
    public mutating func allocate() -> Int? {
        guard freeCount > 0,
            let frame = BitmapSearch.firstBit(true, in: freeBits, from: searchHint << 6, limit: frameCount)
        else { return nil }
        searchHint = frame >> 6
        freeBits[frame >> 6] &= ~(1 << UInt64(frame & 63))
        freeCount -= 1
        if freeCount < lowWater { lowWater = freeCount }
        return frame
    }

    /// Takes `count` consecutive free frames whose first frame number is a multiple of
    /// `alignment` (in frames, a power of two). Returns the first frame, or nil when no such run
    /// exists or the arguments are invalid. Cost: a scan of the bitmap from the lowest free word.
    public mutating func allocateContiguous(count: Int, alignment: Int) -> Int? {
        guard count >= 1, count <= freeCount, alignment >= 1, alignment & (alignment - 1) == 0,
            let first = BitmapSearch.firstRun(
                of: true, count: count, alignment: alignment, phase: 0,
                in: freeBits, from: searchHint << 6, limit: frameCount)
        else { return nil }
        BitmapSearch.fill(false, in: freeBits, start: first, count: count)
        freeCount -= count
        if freeCount < lowWater { lowWater = freeCount }
        return first
    }

    /// Gives one frame back. Anything but `.freed` leaves the allocator unchanged.
    public mutating func free(_ frame: Int) -> FrameFreeResult {
        free(firstFrame: frame, count: 1)
    }

    /// Gives frames `[firstFrame, firstFrame + count)` back, all or nothing: every frame is
    /// checked (in range, usable, currently in use) before any is changed.
    public mutating func free(firstFrame: Int, count: Int) -> FrameFreeResult {
        guard count >= 0, firstFrame >= 0, firstFrame <= frameCount - count else { return .outOfRange }
        guard count > 0 else { return .freed }
        let end = firstFrame + count
        if BitmapSearch.firstBit(false, in: usableBits, from: firstFrame, limit: end) != nil { return .notUsable }
        if BitmapSearch.firstBit(true, in: freeBits, from: firstFrame, limit: end) != nil { return .doubleFree }
        BitmapSearch.fill(true, in: freeBits, start: firstFrame, count: count)
        freeCount += count
        searchHint = min(searchHint, firstFrame >> 6)
        return .freed
    }

    /// The state of one frame (`.notUsable` for frames outside `0..<frameCount`).
    public func state(of frame: Int) -> FrameState {
        guard frame >= 0, frame < frameCount else { return .notUsable }
        let bit: UInt64 = 1 << UInt64(frame & 63)
        if usableBits[frame >> 6] & bit == 0 { return .notUsable }
        return freeBits[frame >> 6] & bit != 0 ? .free : .allocated
    }
}
