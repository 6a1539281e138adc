// Word-at-a-time bit searches over caller-owned UInt64 bitmaps, shared by the frame allocator
// and the heap's map of used window pages. Bit i lives in word i / 64 at position i % 64.

/// Scanning and filling helpers. The caller owns the words and guarantees that every index
/// passed (below `limit`) lies inside them.
@usableFromInline
enum BitmapSearch {
    /// Index of the first bit equal to `value` in `[from, limit)`, or nil. Skips 64 bits per
    /// step and uses trailingZeroBitCount inside a word.
    @inlinable
    static func firstBit(_ value: Bool, in words: UnsafeMutablePointer<UInt64>, from: Int, limit: Int) -> Int? {
        guard from < limit else { return nil }
        let flip: UInt64 = value ? 0 : ~0
        var wordIndex = from &>> 6
        let lastWord = (limit &- 1) &>> 6
        var word = (words[wordIndex] ^ flip) & (~0 &<< UInt64(from & 63))
        while word == 0 {
            if wordIndex == lastWord { return nil }
            wordIndex &+= 1
            word = words[wordIndex] ^ flip
        }
        let bit = wordIndex &<< 6 | word.trailingZeroBitCount
        return bit < limit ? bit : nil
    }

    /// Start of the first run of `count` bits equal to `value` inside `[from, limit)` whose
    /// start `s` satisfies `s % alignment == phase`.
    /// Preconditions: count >= 1; alignment is a power of two; 0 <= phase < alignment.
    @inlinable
    static func firstRun(
        of value: Bool, count: Int, alignment: Int, phase: Int,
        in words: UnsafeMutablePointer<UInt64>, from: Int, limit: Int
    ) -> Int? {
        guard count <= limit, var start = firstBit(value, in: words, from: from, limit: limit) else { return nil }
        while true {
            start &+= (phase &- start) & (alignment &- 1)
            guard start <= limit &- count else { return nil }
            guard let blocker = firstBit(!value, in: words, from: start, limit: start &+ count) else {
                return start
            }
            guard let next = firstBit(value, in: words, from: blocker &+ 1, limit: limit) else { return nil }
            start = next
        }
    }

    /// Mask of the bits of word `wordIndex` that fall inside `[start, end)`.
    @inlinable
    static func mask(ofWord wordIndex: Int, start: Int, end: Int) -> UInt64 {
        let wordStart = wordIndex &<< 6
        var mask: UInt64 = ~0
        if start > wordStart { mask &= ~0 &<< UInt64(start &- wordStart) }
        if end < wordStart &+ 64 { mask &= ~(~0 &<< UInt64(end &- wordStart)) }
        return mask
    }

    /// Sets (`value` true) or clears bits `[start, start + count)`. Precondition: count >= 0.
    @inlinable
    static func fill(_ value: Bool, in words: UnsafeMutablePointer<UInt64>, start: Int, count: Int) {
        guard count > 0 else { return }
        let end = start &+ count
        var wordIndex = start &>> 6
        let lastWord = (end &- 1) &>> 6
        while wordIndex <= lastWord {
            let mask = mask(ofWord: wordIndex, start: start, end: end)
            if value { words[wordIndex] |= mask } else { words[wordIndex] &= ~mask }
            wordIndex &+= 1
        }
    }

    /// Number of 64-bit words that hold `bits` bits.
    @inlinable
    static func wordCount(bits: Int) -> Int { (bits &+ 63) &>> 6 }
}
