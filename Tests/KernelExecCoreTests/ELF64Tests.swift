// The kernel's ELF64 checker on the host: a well-formed image passes, and each way an image can
// be bad is refused with its own reason (the same cases the kernel's process tests corrupt).
import Testing

@testable import KernelExecCore

/// A minimal static x86-64 executable: the ELF header, program headers, then `code`.
struct ImageBuilder {
    var bytes: [UInt8]
    static let base: UInt64 = 0x80_0000_0000

    init(
        segments: [(vaddr: UInt64, memsz: UInt64, filesz: UInt64, flags: UInt32)] = [(base, 4096, 16, 5)],
        entry: UInt64 = base
    ) {
        let phoff = 64
        let dataOffset = UInt64(phoff + 56 * segments.count)
        bytes = [UInt8](repeating: 0, count: Int(dataOffset) + 64)
        bytes[0...3] = [0x7F, 0x45, 0x4C, 0x46]
        bytes[4] = 2
        bytes[5] = 1
        bytes[6] = 1
        put16(16, 2)
        put16(18, 0x3E)
        put64(24, entry)
        put64(32, UInt64(phoff))
        put16(52, 64)
        put16(54, 56)
        put16(56, UInt16(segments.count))
        for (i, s) in segments.enumerated() {
            let p = phoff + i * 56
            put32(p, 1)
            put32(p + 4, s.flags)
            put64(p + 8, dataOffset)
            put64(p + 16, s.vaddr)
            put64(p + 24, s.vaddr)
            put64(p + 32, s.filesz)
            put64(p + 40, s.memsz)
            put64(p + 48, 4096)
        }
    }

    mutating func put16(_ o: Int, _ v: UInt16) {
        for i in 0..<2 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt16(i))) }
    }
    mutating func put32(_ o: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }
    mutating func put64(_ o: Int, _ v: UInt64) {
        for i in 0..<8 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    func parse() -> Result<ELFImage, ELFError> {
        bytes.withUnsafeBytes { ELF64.parse($0, userBase: Self.base, userEnd: 0x7FFF_0000_0000, maximumBytes: 16 << 20) }
    }

    func error() -> ELFError? {
        if case .failure(let e) = parse() { return e }
        return nil
    }
}

@Test func wellFormedImagePasses() throws {
    let image = try ImageBuilder().parse().get()
    #expect(image.entry == ImageBuilder.base)
    #expect(image.segmentCount == 1)
    #expect(image.segments[0].executable && !image.segments[0].writable)
}

@Test func truncatedFilesAreRefused() {
    var b = ImageBuilder()
    b.bytes.removeLast(b.bytes.count - 40)
    #expect(b.error() == .truncated)
    var c = ImageBuilder()
    c.put16(56, 2000)  // more program headers than the file holds
    #expect(c.error() == .truncated)
}

@Test func headerFieldsAreChecked() {
    var b = ImageBuilder()
    b.bytes[1] = 0
    #expect(b.error() == .badMagic)
    b = ImageBuilder()
    b.bytes[4] = 1
    #expect(b.error() == .notELF64)
    b = ImageBuilder()
    b.bytes[5] = 2
    #expect(b.error() == .notLittleEndian)
    b = ImageBuilder()
    b.put16(18, 0x28)
    #expect(b.error() == .notX86_64)
    b = ImageBuilder()
    b.put16(16, 3)
    #expect(b.error() == .notExecutable)
    b = ImageBuilder()
    b.put16(54, 32)
    #expect(b.error() == .badHeaderSize)
}

@Test func segmentsAreChecked() {
    let base = ImageBuilder.base
    #expect(ImageBuilder(segments: [(0x20_0000, 4096, 16, 5)], entry: 0x20_0000).error() == .segmentOutsideUserRange)
    #expect(ImageBuilder(segments: [(0x7FFF_0000_0000 - 4096, 8192, 16, 5)]).error() == .segmentOutsideUserRange)
    #expect(ImageBuilder(segments: [(base + 1, 4096, 16, 5)]).error() == .segmentOutsideUserRange)
    #expect(ImageBuilder(segments: [(base, 4096, 8192, 5)]).error() == .fileSizeAboveMemorySize)
    #expect(ImageBuilder(segments: [(base, 1 << 40, 16, 5)]).error() == .tooLarge)
    #expect(ImageBuilder(segments: [(base, 4096, 4096, 5)]).error() == .segmentBeyondFile)
    #expect(ImageBuilder(segments: [(base, 8192, 16, 5), (base + 4096, 4096, 16, 6)]).error() == .segmentsOverlap)
    #expect(ImageBuilder(segments: []).error() == .noLoadableSegments)
    let nine = (0..<9).map { (base + UInt64($0) * 4096, UInt64(4096), UInt64(16), UInt32(5)) }
    #expect(ImageBuilder(segments: nine).error() == .tooManySegments)
}

@Test func entryMustBeInAnExecutableSegment() {
    let base = ImageBuilder.base
    #expect(ImageBuilder(entry: base + 8192).error() == .entryOutsideSegments)
    #expect(ImageBuilder(segments: [(base, 4096, 16, 6)]).error() == .entryOutsideSegments)  // writable, not executable
}

/// `exec: refused: <reason>` names the check that failed: no two errors may read alike.
@Test func everyErrorHasAReasonOfItsOwn() {
    let all: [ELFError] = [
        .truncated, .badMagic, .notELF64, .notLittleEndian, .notX86_64, .notExecutable,
        .badHeaderSize, .noLoadableSegments, .tooManySegments, .segmentOutsideUserRange,
        .segmentsOverlap, .segmentBeyondFile, .fileSizeAboveMemorySize, .tooLarge, .entryOutsideSegments,
    ]
    let reasons = all.map { "\($0.reason)" }
    #expect(Set(reasons).count == all.count, "\(reasons)")
    #expect(!reasons.contains(""))
}
