// The Swift runtime's allocator (posix_memalign/free in support.c land here): every Array,
// Dictionary, String buffer and class instance is a kernel-heap block, freed when released.
// Running out is loud: `Allocation failure:` with the heap's figures, then a panic — never the
// bare `ud2` swift_allocObject would execute on a nil result.

@_cdecl("kernel_runtime_allocate")
func kernelRuntimeAllocate(_ size: Int, _ alignment: Int) -> UnsafeMutableRawPointer? {
    switch KernelHeap.tryAllocate(size: max(size, 1), alignment: max(alignment, 16)) {
    case .success(let p):
        return p
    case .failure(.badRequest):
        return nil  // posix_memalign's EINVAL case: a bad alignment
    case .failure:
        if SeedFaults.enabled { SeedFaults.haltSilently() }
        Console.line {
            $0.text("Allocation failure: size=")
            $0.dec(size)
            $0.text(" align=")
            $0.dec(alignment)
        }
        StatisticsLines.print()
        panic("out of memory in the Swift runtime allocator") {
            $0.text(" size=")
            $0.dec(size)
        }
    }
}

@_cdecl("kernel_runtime_free")
func kernelRuntimeFree(_ pointer: UnsafeMutableRawPointer) {
    if SeedFaults.enabled { return }
    KernelHeap.free(pointer)
}
