// The kernel heap's size classes: which slab serves a request, and how to tell an object start
// from a pointer into the middle of one. Tables are switches, so no global needs initialising.

/// Size classes for objects up to 2048 bytes, each served from 4 KiB slab pages.
///
/// Sizes are multiples of 16 (so every object is 16-byte aligned), chosen to fill a page well:
/// 16...128 in steps of 16, 160...256 in steps of 32, 320...512 in steps of 64, then
/// 576 (7 per page), 672 (6), 816 (5), 1024 (4), 1360 (3), 2048 (2). The powers of two among
/// them are naturally aligned inside a page, which is how larger alignments are served.
public enum HeapSizeClass {
    /// Number of size classes.
    @inlinable public static var count: Int { 22 }
    /// Largest request a slab serves; larger ones get whole pages.
    @inlinable public static var largestSize: Int { 2048 }

    /// The class that serves `size` bytes with 16-byte alignment. Precondition: 1 <= size <= 2048.
    @inlinable @inline(__always)
    public static func index(forSize size: Int) -> Int {
        let units = (size &+ 15) &>> 4  // 16-byte units, 1...128
        if units <= 8 { return units &- 1 }  // 16...128
        if units <= 16 { return 8 &+ (units &- 9) &>> 1 }  // 160...256
        if units <= 32 { return 12 &+ (units &- 17) &>> 2 }  // 320...512
        if units <= 36 { return 16 }  // 576
        if units <= 42 { return 17 }  // 672
        if units <= 51 { return 18 }  // 816
        if units <= 64 { return 19 }  // 1024
        if units <= 85 { return 20 }  // 1360
        return 21  // 2048
    }

    /// Object size of class `index`. Precondition: 0 <= index < count.
    @inlinable @inline(__always)
    public static func size(ofClass index: Int) -> Int {
        switch index {
        case 0: return 16
        case 1: return 32
        case 2: return 48
        case 3: return 64
        case 4: return 80
        case 5: return 96
        case 6: return 112
        case 7: return 128
        case 8: return 160
        case 9: return 192
        case 10: return 224
        case 11: return 256
        case 12: return 320
        case 13: return 384
        case 14: return 448
        case 15: return 512
        case 16: return 576
        case 17: return 672
        case 18: return 816
        case 19: return 1024
        case 20: return 1360
        default: return 2048
        }
    }

    /// ceil(2^32 / size(ofClass: index)): `(offset * r) >> 32 == offset / size` for every
    /// offset below 4096, so the free path checks object starts without a divide.
    @inlinable @inline(__always)
    static func reciprocal(ofClass index: Int) -> UInt64 {
        switch index {
        case 0: return 0x1000_0000
        case 1: return 0x0800_0000
        case 2: return 0x0555_5556
        case 3: return 0x0400_0000
        case 4: return 0x0333_3334
        case 5: return 0x02AA_AAAB
        case 6: return 0x0249_2493
        case 7: return 0x0200_0000
        case 8: return 0x0199_999A
        case 9: return 0x0155_5556
        case 10: return 0x0124_924A
        case 11: return 0x0100_0000
        case 12: return 0x00CC_CCCD
        case 13: return 0x00AA_AAAB
        case 14: return 0x0092_4925
        case 15: return 0x0080_0000
        case 16: return 0x0071_C71D
        case 17: return 0x0061_8619
        case 18: return 0x0050_5051
        case 19: return 0x0040_0000
        case 20: return 0x0030_3031
        default: return 0x0020_0000
        }
    }

    /// Whether `offset` (from the page start, below 4096) is where an object of class `index` starts.
    @inlinable @inline(__always)
    static func isObjectStart(_ offset: Int, ofClass index: Int) -> Bool {
        let slot = (UInt64(truncatingIfNeeded: offset) &* reciprocal(ofClass: index)) &>> 32
        return Int(truncatingIfNeeded: slot) &* size(ofClass: index) == offset
    }

    /// Objects of class `index` that fit in one slab page.
    @inlinable
    public static func objectsPerPage(ofClass index: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(HeapCoreParameters.pageSize) &* reciprocal(ofClass: index)) &>> 32)
    }
}
