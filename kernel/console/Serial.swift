// The 16550 UART on COM1: the kernel's only console, and the harness's view into the machine.
// Polled output (it must work in panic context); input is read by the shell's interrupt handler.
import Hardware

enum Serial {
    static let port: UInt16 = 0x3F8

    /// Programs 115200 8N1 with FIFOs. Called once on the boot CPU before anything prints.
    static func initialize() {
        outb(port + 1, 0x00)  // no interrupts yet
        outb(port + 3, 0x80)  // divisor latch
        outb(port + 0, 0x01)  // 115200 baud
        outb(port + 1, 0x00)
        outb(port + 3, 0x03)  // 8 bits, no parity, one stop bit
        outb(port + 2, 0xC7)  // FIFOs on and cleared
        outb(port + 4, 0x0B)  // DTR, RTS, OUT2 (OUT2 gates the interrupt line)
    }

    /// False once a byte other than a newline went out: the last line is unfinished (a user
    /// program's `write` without one), and the kernel's next line must not be glued to it.
    nonisolated(unsafe) static var atLineStart = true

    @inline(__always)
    static func put(_ byte: UInt8) {
        while inb(port + 5) & 0x20 == 0 { cpu_pause() }
        outb(port, byte)
        atLineStart = byte == 10
    }

    /// Ends an unfinished line, so that what follows starts a line of its own (as printk does
    /// after a continuation): a reader matching the kernel's lines finds them at a line start.
    static func startLine() {
        if !atLineStart { put(10) }
    }

    /// Returns once the UART has handed every byte on (LSR bit 6, TEMT: FIFO and shift register
    /// empty). Under QEMU a byte leaves the UART only when its chardev accepted it, so after this
    /// the bytes are in the host's socket and survive QEMU's exit; THRE alone (bit 5) can be set
    /// while the last byte still waits in the shift register for the socket to take it.
    /// Precondition: nothing else writes to the UART meanwhile (the callers are leaving the machine).
    static func waitUntilSent() {
        while inb(port + 5) & 0x40 == 0 { cpu_pause() }
    }

    /// A received byte, if one is waiting.
    static func receive() -> UInt8? {
        inb(port + 5) & 0x01 != 0 ? inb(port) : nil
    }

    /// Interrupts on received data; the line is routed by the shell.
    static func enableReceiveInterrupt() { outb(port + 1, 0x01) }
}
