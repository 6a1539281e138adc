// Tunables of the kernel heap core, in one place (xv6's param.h): page size, slab limits, caches.
// Change them here only; everything else derives from these values.

/// The heap core's fixed parameters. Computed properties rather than stored `static let`s so
/// that no global needs lazy initialisation (`swift_once`) in the kernel.
public enum HeapCoreParameters {
    /// Bytes in one page of the heap window (x86_64 small page).
    @inlinable public static var pageSize: Int { 4096 }
    /// log2 of `pageSize`: page index = (address - windowBase) >> pageShift.
    @inlinable public static var pageShift: Int { 12 }
    /// Alignment every block gets without asking (posix_memalign's default on x86_64).
    @inlinable public static var minimumAlignment: Int { 16 }
    /// Empty slab pages each size class keeps mapped, so that a loop allocating and freeing one
    /// object does not map and unmap a page every time. Fixed at one: the class state records
    /// that page by index (`HeapSizeClassState.keptEmptyPage`).
    @inlinable public static var cachedEmptySlabPagesPerClass: Int { 1 }
    /// Slots of the depot's stack for one size class: at most this many objects the object
    /// caches gave back wait there per class (`HeapDepot`).
    @inlinable public static var depotSlotsPerClass: Int { 1024 }
    /// Bytes of objects the depot may hold per size class: a class of 64-byte objects or less
    /// fills its 1,024 slots, a class of 256-byte objects 256 of them.
    @inlinable public static var depotBytesPerClass: Int { 64 * 1024 }
    /// Freed page runs of at most this many pages may stay mapped in the run cache.
    @inlinable public static var runCacheLargestRunPages: Int { 4 }
    /// Slots in the run cache (each holds one freed run): at most 32 runs of up to 4 pages
    /// (512 KiB) stay mapped, enough for a frame of the roulette's 16 KiB tiles to come back
    /// without an unmap (and its TLB shootdown) each.
    @inlinable public static var runCacheSlots: Int { 32 }
    /// Byte written over freed memory when junk filling is on (xv6 fills with 1; any
    /// recognisable non-zero pattern will do).
    @inlinable public static var junkByte: UInt8 { 0xDB }
    /// Mixed into a free object's marker word so that ordinary data rarely looks like it.
    @inlinable public static var freeObjectMarkerKey: UInt64 { 0xF4EE_0B1E_C7ED_5EA1 }
}
