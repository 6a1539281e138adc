// Loading a user program: the file is copied into a Swift buffer (freed when loading ends, as
// in the founding note's loader), checked by ELF64.parse, and its segments mapped into a new
// address space with a user stack. A refused image leaks nothing.
import Hardware

enum ProgramLoader {
    /// Largest image memory accepted.
    static let maximumImageBytes: UInt64 = 16 << 20

    enum Failure: Error { case badImage(ELFError), outOfMemory }

    /// A loaded program: its space, entry point and stack top.
    struct Loaded {
        var space: UserAddressSpace
        var entry: UInt64
        var stackTop: UInt64
    }

    static func load(start: UInt64, length: Int) -> Result<Loaded, Failure> {
        let file = [UInt8](UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(start)), count: length))
        return file.withUnsafeBytes { bytes in load(bytes) }
    }

    static func load(_ bytes: UnsafeRawBufferPointer) -> Result<Loaded, Failure> {
        let image: ELFImage
        switch ELF64.parse(
            bytes, userBase: Layout.userBase, userEnd: UserMemory.stackTop - UserMemory.stackSize - Layout.pageSize,
            maximumBytes: maximumImageBytes)
        {
        case .success(let i): image = i
        case .failure(let e): return .failure(.badImage(e))
        }
        guard let space = UserAddressSpace.create() else { return .failure(.outOfMemory) }
        for s in 0..<image.segmentCount {
            let seg = image.segments[s]
            var page = seg.virtualAddress
            while page < seg.end {
                guard space.mapZeroed(page, writable: true, executable: seg.executable) else {
                    space.destroy()
                    return .failure(.outOfMemory)
                }
                page += Layout.pageSize
            }
            // Copy the file bytes through the identity map of each frame.
            var copied: UInt64 = 0
            while copied < seg.fileSize {
                let va = seg.virtualAddress + copied
                let chunk = min(seg.fileSize - copied, Layout.pageSize - (va & 0xFFF))
                let pa = PageTables.translate(va, root: space.root)!
                UnsafeMutableRawPointer(bitPattern: UInt(pa))!.copyMemory(
                    from: bytes.baseAddress! + Int(seg.fileOffset + copied), byteCount: Int(chunk))
                copied += chunk
            }
            if !seg.writable {
                page = seg.virtualAddress
                while page < seg.end {
                    var flags: PageFlags = [.present, .user]
                    if !seg.executable { flags.insert(.noExecute) }
                    _ = AddressSpace(root: space.root).protect(page, flags: flags)
                    page += Layout.pageSize
                }
            }
        }
        var page = UserMemory.stackTop - UserMemory.stackSize
        while page < UserMemory.stackTop {
            guard space.mapZeroed(page, writable: true, executable: false) else {
                space.destroy()
                return .failure(.outOfMemory)
            }
            page += Layout.pageSize
        }
        // The entry is reached by iretq, not call: leave the slot a return address would take
        // (zero: it also ends a backtrace), so the stack is aligned as every function expects.
        return .success(Loaded(space: space, entry: image.entry, stackTop: UserMemory.stackTop - 8))
    }
}
