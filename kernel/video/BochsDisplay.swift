// QEMU's Bochs VBE displays (PCI 1234:1111): the standard VGA (`-device VGA`, class 0x0300) and
// `-device bochs-display` (class 0x0380, no VGA at all). The mode is set through the DISPI
// registers: on the VGA through the index/data ports 0x1CE/0x1CF, on bochs-display through its
// MMIO BAR2 at 0x500 (16-bit registers, index × 2). The linear framebuffer is BAR0.
import Hardware

enum BochsDisplay {
    enum Kind { case vga, bochsDisplay }

    /// DISPI register numbers and values (Bochs vbe.h).
    private enum Register: UInt16 {
        case id = 0, xResolution = 1, yResolution = 2, bitsPerPixel = 3, enable = 4
        case virtualWidth = 6, virtualHeight = 7, xOffset = 8, yOffset = 9, videoMemory64K = 0xA
    }
    private static let enabled: UInt16 = 0x01
    private static let linearFramebuffer: UInt16 = 0x40
    private static let lowestID: UInt16 = 0xB0C0

    /// How DISPI registers are reached on the found device.
    private enum Access {
        case ports
        case mmio(UInt64)

        func write(_ r: Register, _ value: UInt16) {
            switch self {
            case .ports:
                outw(0x1CE, r.rawValue)
                outw(0x1CF, value)
            case .mmio(let base): mmio_write16(base + 0x500 + UInt64(r.rawValue) * 2, value)
            }
        }

        func read(_ r: Register) -> UInt16 {
            switch self {
            case .ports:
                outw(0x1CE, r.rawValue)
                return inw(0x1CF)
            case .mmio(let base): return mmio_read16(base + 0x500 + UInt64(r.rawValue) * 2)
            }
        }
    }

    /// Finds the display, sets `width`×`height` at 32 bits a pixel and returns its framebuffer,
    /// or nil (with a `video:` line saying why). Boot CPU, task context.
    static func start(width: Int, height: Int) -> Framebuffer? {
        guard let pci = PCI.find(vendor: 0x1234, device: 0x1111) else {
            Console.line("video: no Bochs VBE display (PCI 1234:1111); add -device VGA or bochs-display")
            return nil
        }
        pci.enableMemorySpace()
        let kind: Kind = pci.classCode == 0x0300 ? .vga : .bochsDisplay
        let access: Access
        switch kind {
        case .vga: access = .ports
        case .bochsDisplay:
            let registers = pci.memoryBAR(2)
            guard registers != 0, let mapped = KernelMappings.deviceMemory(physical: registers, length: Layout.pageSize)
            else {
                Console.line("video: bochs-display has no register BAR")
                return nil
            }
            access = .mmio(mapped)
        }
        guard access.read(.id) >= lowestID else {
            Console.line("video: the display does not answer as Bochs VBE")
            return nil
        }
        let memory = UInt64(access.read(.videoMemory64K)) << 16
        let bytes = UInt64(width * height * 4)
        let physical = pci.memoryBAR(0)
        guard physical != 0, bytes <= memory,
            let base = KernelMappings.deviceMemory(physical: physical, length: bytes)
        else {
            Console.line {
                $0.text("video: no room for the mode: framebuffer=")
                $0.hex(physical)
                $0.text(" video_memory=")
                $0.dec(memory)
            }
            return nil
        }
        access.write(.enable, 0)
        access.write(.xResolution, UInt16(width))
        access.write(.yResolution, UInt16(height))
        access.write(.bitsPerPixel, 32)
        access.write(.virtualWidth, UInt16(width))
        access.write(.virtualHeight, UInt16(height))
        access.write(.xOffset, 0)
        access.write(.yOffset, 0)
        access.write(.enable, enabled | linearFramebuffer)
        if kind == .vga {
            // The attribute controller blanks the screen unless palette access is handed back
            // (bit 5 of its index register); reading 0x3DA resets its index/data flip-flop.
            _ = inb(0x3DA)
            outb(0x3C0, 0x20)
        }
        let pitch = Int(access.read(.virtualWidth)) * 4
        Console.line {
            $0.text("video: ")
            $0.text(kind == .vga ? "VGA" : "bochs-display")
            $0.text(" mode ")
            $0.dec(width)
            $0.text("x")
            $0.dec(height)
            $0.text("x32 framebuffer=")
            $0.hex(physical)
            $0.text(kind == .vga ? " dispi=ports" : " dispi=mmio")
        }
        return Framebuffer(base: base, width: width, height: height, pitch: pitch)
    }
}
