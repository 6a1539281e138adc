// Frame-pointer backtraces that never allocate and never fault: every frame record is checked
// (alignment, kernel half, mapped) before it is read, and the walk is bounded.
import Hardware

enum Backtrace {
    /// Calls `body` with each return address, starting at the frame record `framePointer`.
    static func walk(framePointer: UInt64, _ body: (Int, UInt64) -> Void) {
        var fp = framePointer
        var depth = 0
        while depth < Parameters.backtraceDepth {
            guard fp != 0, fp & 7 == 0, fp + 16 <= Layout.kernelHalfEnd,
                PageTables.isMapped(fp), PageTables.isMapped(fp + 8)
            else { return }
            let record = UnsafePointer<UInt64>(bitPattern: UInt(fp))!
            let returnAddress = record[1]
            if returnAddress == 0 { return }
            body(depth, returnAddress)
            depth += 1
            let next = record[0]
            if next <= fp { return }  // stacks grow down: callers sit higher
            fp = next
        }
    }

    /// Prints `backtrace:` and one `  #i 0x...` line per frame.
    static func print(framePointer: UInt64) {
        Console.line("backtrace:")
        walk(framePointer: framePointer) { index, address in
            Console.line {
                $0.text("  #")
                $0.dec(index)
                $0.text(" ")
                $0.hex(address, width: 16)
            }
        }
    }
}
