// Deliberate failures chosen with `debug=` on the command line, so the harness can prove that
// it recognises each way a machine can end.
import Hardware

enum DebugActions {
    static func run(_ action: DebugAction) {
        switch action {
        case .none: return
        case .hang:
            Console.line("debug: hanging")
            cpu_cli()
            while true { cpu_pause() }
        case .hangLocked:
            // The freeze a debugger should explain as "CPU n, here, holding the heap lock".
            Console.line("debug: hanging with the heap lock held")
            _ = KernelHeap.lock.lock()
            while true { cpu_pause() }
        case .panic:
            panic("deliberate panic (debug=panic)")
        case .tripleFault:
            Console.line("debug: triple fault")
            cpu_triple_fault()
        case .silent:
            Console.line("debug: going silent")
            Console.silenced = true
        }
    }
}
