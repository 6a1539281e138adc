// Scenario steps that act through the VM's gdbstub: stop at a function, read and write the
// kernel's variables by name, stop / continue / single-step.

public enum GDBStep: Equatable {
    /// Set a breakpoint at a function, let the machine run until a vCPU reaches it (within the
    /// time limit), remove it. The machine stays stopped there.
    case breakAt(symbol: String, hardware: Bool, within: Double?)
    /// Read a variable's 64-bit words into captures: `NAME.value` (the first word) and
    /// `NAME.0`, `NAME.1`, ... (each word, for arrays). A running machine is stopped for the read
    /// and resumed after it.
    case read(symbol: String, as: String)
    /// Write a 64-bit word into a variable (word `index` of an array).
    case write(symbol: String, index: Int, value: UInt64)
    case stop
    case resume
    /// One instruction on the vCPU that stopped last (or CPU 0).
    case step

    /// The symbol the step needs the kernel image to have.
    public var symbol: String? {
        switch self {
        case .breakAt(let symbol, _, _), .read(let symbol, _), .write(let symbol, _, _): return symbol
        case .stop, .resume, .step: return nil
        }
    }
}
