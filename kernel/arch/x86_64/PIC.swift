// The legacy 8259 interrupt controllers: moved off the exception vectors at boot (the BIOS
// leaves the timer on vector 8, which would look like a double fault) and masked but for
// the lines the kernel asks for.
import Hardware

enum PIC {
    static let firstVector = 0x20

    static func remapAndMask() {
        outb(0x20, 0x11)
        outb(0xA0, 0x11)  // initialise, expect ICW4
        outb(0x21, UInt8(firstVector))
        outb(0xA1, UInt8(firstVector + 8))
        outb(0x21, 0x04)
        outb(0xA1, 0x02)  // cascade on line 2
        outb(0x21, 0x01)
        outb(0xA1, 0x01)  // 8086 mode
        outb(0x21, 0xFF)
        outb(0xA1, 0xFF)  // everything masked
    }

    static func unmask(line: Int) {
        if line < 8 {
            outb(0x21, inb(0x21) & ~UInt8(1 << line))
        } else {
            outb(0xA1, inb(0xA1) & ~UInt8(1 << (line - 8)))
            outb(0x21, inb(0x21) & ~UInt8(1 << 2))
        }
    }

    static func endOfInterrupt(line: Int) {
        if line >= 8 { outb(0xA0, 0x20) }
        outb(0x20, 0x20)
    }
}
