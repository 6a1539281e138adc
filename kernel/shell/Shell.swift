// A line-based command shell on the serial console, for scenario steps that talk to a running
// kernel. Input arrives by interrupt (COM1, PIC line 4); a complete line runs its command.

enum Shell {
    nonisolated(unsafe) static var buffer: InlineArray<128, UInt8> = .init(repeating: 0)
    nonisolated(unsafe) static var length = 0

    static func start() {
        Serial.enableReceiveInterrupt()
        PIC.unmask(line: 4)
    }

    /// Called from the COM1 interrupt: gathers bytes and runs each complete line.
    static func serialInterrupt() {
        while let byte = Serial.receive() {
            if byte == 10 || byte == 13 {
                if length > 0 { run(); length = 0 }
            } else if length < 128 {
                buffer[length] = byte
                length += 1
            }
        }
    }

    private static func matches(_ s: StaticString) -> Bool {
        guard s.utf8CodeUnitCount == length else { return false }
        for i in 0..<length where s.utf8Start[i] != buffer[i] { return false }
        return true
    }

    private static func run() {
        if matches("stats") { MemoryStatistics.printLine() }
        else if matches("shutdown") { Console.line("kernel: shutdown"); Machine.exit(.success) }
        else if matches("panic") { panic("requested from the shell") }
        else if matches("help") { Console.line("shell: commands: help stats shutdown panic") }
        else { Console.line("shell: unknown command (try help)") }
    }
}
