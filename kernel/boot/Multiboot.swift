// Reading the multiboot (version 1) information QEMU's loader leaves for us: memory map,
// command line and modules. Everything needed later is copied out before memory is reused.

struct MemoryRegion {
    var base: UInt64
    var length: UInt64
    /// 1 is usable RAM; anything else is reserved.
    var type: UInt32
    var end: UInt64 { base &+ length }
    var isUsable: Bool { type == 1 }
}

struct BootModule {
    var start: UInt64
    var end: UInt64
}

enum Multiboot {
    static let bootloaderMagic: UInt32 = 0x2BADB002
    static let maximumRegions = 64
    static let maximumModules = 16

    nonisolated(unsafe) static var regions: InlineArray<64, MemoryRegion> =
        .init(repeating: MemoryRegion(base: 0, length: 0, type: 0))
    nonisolated(unsafe) static var regionCount = 0
    nonisolated(unsafe) static var modules: InlineArray<16, BootModule> = .init(repeating: BootModule(start: 0, end: 0))
    nonisolated(unsafe) static var moduleCount = 0
    /// The command line, NUL-free, and its length.
    nonisolated(unsafe) static var commandLine: InlineArray<512, UInt8> = .init(repeating: 0)
    nonisolated(unsafe) static var commandLineLength = 0
    /// The highest physical address the loader's structures reach: memory below it is reserved.
    nonisolated(unsafe) static var loaderDataEnd: UInt64 = 0

    private static func read32(_ address: UInt64) -> UInt32 {
        UnsafePointer<UInt32>(bitPattern: UInt(address))!.pointee
    }
    private static func read64(_ address: UInt64) -> UInt64 {
        UnsafeRawPointer(bitPattern: UInt(address))!.loadUnaligned(as: UInt64.self)
    }

    /// Copies what the kernel needs out of the loader's information block at `info`.
    static func parse(info: UInt64) {
        let flags = read32(info)
        loaderDataEnd = max(loaderDataEnd, info + 120)
        if flags & (1 << 2) != 0 {  // command line
            let address = UInt64(read32(info + 16))
            var i = 0
            while i < 512 {
                let c = UnsafePointer<UInt8>(bitPattern: UInt(address + UInt64(i)))!.pointee
                if c == 0 { break }
                commandLine[i] = c
                i += 1
            }
            commandLineLength = i
            loaderDataEnd = max(loaderDataEnd, address + UInt64(i) + 1)
        }
        if flags & (1 << 3) != 0 {  // modules
            let count = Int(read32(info + 20))
            let table = UInt64(read32(info + 24))
            for m in 0..<min(count, maximumModules) {
                let entry = table + UInt64(m * 16)
                modules[m] = BootModule(start: UInt64(read32(entry)), end: UInt64(read32(entry + 4)))
                loaderDataEnd = max(loaderDataEnd, modules[m].end, entry + 16)
            }
            moduleCount = min(count, maximumModules)
        }
        if flags & (1 << 6) != 0 {  // memory map
            let length = UInt64(read32(info + 44))
            let address = UInt64(read32(info + 48))
            var offset: UInt64 = 0
            while offset < length && regionCount < maximumRegions {
                let entry = address + offset
                let size = UInt64(read32(entry))
                regions[regionCount] = MemoryRegion(base: read64(entry + 4), length: read64(entry + 12), type: read32(entry + 20))
                regionCount += 1
                offset += size + 4
            }
            loaderDataEnd = max(loaderDataEnd, address + length)
        }
    }

    /// The highest address of usable RAM.
    static var topOfMemory: UInt64 {
        var top: UInt64 = 0
        for i in 0..<regionCount where regions[i].isUsable { top = max(top, regions[i].end) }
        return top
    }
}
