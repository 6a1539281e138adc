// Checking and describing a static ELF64 x86-64 executable before anything is mapped: every
// field that could make the loader touch memory it must not is validated here, in plain Swift
// that the host tests too (KernelExecCore). Nothing is allocated.

/// One loadable segment.
public struct ELFSegment: Equatable {
    public var virtualAddress: UInt64
    public var memorySize: UInt64
    public var fileOffset: UInt64
    public var fileSize: UInt64
    public var writable: Bool
    public var executable: Bool

    public init(
        virtualAddress: UInt64, memorySize: UInt64, fileOffset: UInt64, fileSize: UInt64, writable: Bool, executable: Bool
    ) {
        self.virtualAddress = virtualAddress
        self.memorySize = memorySize
        self.fileOffset = fileOffset
        self.fileSize = fileSize
        self.writable = writable
        self.executable = executable
    }

    public var end: UInt64 { virtualAddress &+ memorySize }
}

/// Why an image was refused.
public enum ELFError: Error, Equatable {
    case truncated, badMagic, notELF64, notLittleEndian, notX86_64, notExecutable
    case badHeaderSize, noLoadableSegments, tooManySegments, segmentOutsideUserRange
    case segmentsOverlap, segmentBeyondFile, fileSizeAboveMemorySize, tooLarge, entryOutsideSegments

    /// One line for the console.
    public var reason: StaticString {
        switch self {
        case .truncated: return "truncated file"
        case .badMagic: return "bad magic"
        case .notELF64: return "not ELF64"
        case .notLittleEndian: return "not little-endian"
        case .notX86_64: return "not x86-64"
        case .notExecutable: return "not an executable"
        case .badHeaderSize: return "bad program header size"
        case .noLoadableSegments: return "no loadable segment"
        case .tooManySegments: return "too many segments"
        case .segmentOutsideUserRange: return "segment outside the user range"
        case .segmentsOverlap: return "segments overlap"
        case .segmentBeyondFile: return "segment data beyond the end of the file"
        case .fileSizeAboveMemorySize: return "segment file size above its memory size"
        case .tooLarge: return "image too large"
        case .entryOutsideSegments: return "entry point outside every executable segment"
        }
    }
}

/// A checked image: its entry point and up to `maximumSegments` loadable segments.
public struct ELFImage {
    public static let maximumSegments = 8
    public var entry: UInt64 = 0
    public var segments: InlineArray<8, ELFSegment> =
        .init(
            repeating: ELFSegment(
                virtualAddress: 0, memorySize: 0, fileOffset: 0, fileSize: 0, writable: false, executable: false))
    public var segmentCount = 0

    public init() {}
}

public enum ELF64 {
    /// Checks `file` and describes its loadable segments. Every segment must lie inside
    /// `[userBase, userEnd)`, page-aligned at its start, apart from the others, with its file
    /// bytes inside the file, and all of them together below `maximumBytes` of memory.
    public static func parse(
        _ file: UnsafeRawBufferPointer, userBase: UInt64, userEnd: UInt64,
        maximumBytes: UInt64
    ) -> Result<ELFImage, ELFError> {
        func u16(_ o: Int) -> UInt64 { UInt64(file.loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
        func u32(_ o: Int) -> UInt64 { UInt64(file.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        func u64(_ o: Int) -> UInt64 { file.loadUnaligned(fromByteOffset: o, as: UInt64.self) }

        guard file.count >= 64 else { return .failure(.truncated) }
        guard file[0] == 0x7F, file[1] == 0x45, file[2] == 0x4C, file[3] == 0x46 else { return .failure(.badMagic) }
        guard file[4] == 2 else { return .failure(.notELF64) }
        guard file[5] == 1 else { return .failure(.notLittleEndian) }
        guard u16(18) == 0x3E else { return .failure(.notX86_64) }
        guard u16(16) == 2 else { return .failure(.notExecutable) }
        let phoff = u64(32)
        let phentsize = u16(54)
        let phnum = u16(56)
        guard phentsize == 56 else { return .failure(.badHeaderSize) }
        guard phoff < UInt64(file.count), phnum <= (UInt64(file.count) - phoff) / 56 else { return .failure(.truncated) }

        var image = ELFImage()
        image.entry = u64(24)
        var total: UInt64 = 0
        for i in 0..<Int(phnum) {
            let p = Int(phoff) + i * 56
            guard u32(p) == 1 else { continue }  // PT_LOAD only
            guard image.segmentCount < ELFImage.maximumSegments else { return .failure(.tooManySegments) }
            let flags = u32(p + 4)
            let s = ELFSegment(
                virtualAddress: u64(p + 16), memorySize: u64(p + 40), fileOffset: u64(p + 8),
                fileSize: u64(p + 32), writable: flags & 2 != 0, executable: flags & 1 != 0)
            if s.memorySize == 0 { continue }
            guard s.fileSize <= s.memorySize else { return .failure(.fileSizeAboveMemorySize) }
            guard s.memorySize <= maximumBytes else { return .failure(.tooLarge) }
            guard s.virtualAddress >= userBase, s.virtualAddress & 0xFFF == 0,
                s.virtualAddress <= userEnd, s.memorySize <= userEnd - s.virtualAddress
            else {
                return .failure(.segmentOutsideUserRange)
            }
            guard s.fileOffset <= UInt64(file.count), s.fileSize <= UInt64(file.count) - s.fileOffset else {
                return .failure(.segmentBeyondFile)
            }
            for j in 0..<image.segmentCount {
                let o = image.segments[j]
                let sEnd = (s.end + 0xFFF) & ~0xFFF
                let oEnd = (o.end + 0xFFF) & ~0xFFF
                if s.virtualAddress < oEnd && o.virtualAddress < sEnd { return .failure(.segmentsOverlap) }
            }
            total += (s.memorySize + 0xFFF) & ~0xFFF
            guard total <= maximumBytes else { return .failure(.tooLarge) }
            image.segments[image.segmentCount] = s
            image.segmentCount += 1
        }
        guard image.segmentCount > 0 else { return .failure(.noLoadableSegments) }
        for j in 0..<image.segmentCount {
            let s = image.segments[j]
            if s.executable && image.entry >= s.virtualAddress && image.entry < s.end { return .success(image) }
        }
        return .failure(.entryOutsideSegments)
    }
}
