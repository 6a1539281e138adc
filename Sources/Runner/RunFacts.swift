// What happened in a run, as the verdict rules read it: the facts the RunMonitor gathered from
// serial lines, QMP events and QEMU's exit, and where the steps were when the run ended.
import HostSystem
import KTAP
import Scenario

/// Where the steps were: before them (boot), at one of them, or after the last.
enum StepPlace {
    case boot
    case step(index: Int, Located<Step>)
    case afterSteps

    /// "boot", "step 2 (line 14)", "the wait after the steps": how verdicts name the place.
    var name: String {
        switch self {
        case .boot: return "boot"
        case .afterSteps: return "the wait after the steps"
        case .step(let index, let step): return "step \(index + 1) (line \(step.line))"
        }
    }

    /// What the waiting step waited for, in a verdict's words.
    var waitedFor: String {
        guard case .step(_, let step) = self else { return "the run" }
        switch step.value {
        case .waitSerial(let pattern, _): return "a serial line matching \(pattern)"
        case .capture(let pattern, let name, _): return "a line matching \(pattern) to capture as \(name)"
        case .waitEvent(let name, let data, _): return "QMP event \(name)\(data.map { " with \($0)" } ?? "")"
        default: return "the step"
        }
    }

    var isWaitingStep: Bool {
        if case .step = self { return true }
        return false
    }
}

struct RunFacts {
    /// The first line that matched a `never` pattern.
    var forbidden: (pattern: Pattern, line: String)?
    /// QEMU reported SHUTDOWN (or RESET) with reason guest-reset.
    var tripleFault = false
    /// The guest panicked: its panic line, GUEST_PANICKED, or the panic exit status.
    var panicked = false
    /// The line that said so, if a line did.
    var panicLine: String?
    /// The title the panic line's report goes under (a built-in or `panic-lines` entry's).
    var panicTitle: String?
    /// The contract's own `panic-line` matched.
    var contractPanicLineSeen = false
    var guestPanickedEvent = false
    /// CPUs the panic report accounted for, by number (the contract's `panic-cpu-line`).
    var panicCPUs: Set<Int> = []
    /// A line matched the pattern of `expect: {panic: ...}`.
    var expectedPanicMatched = false
    /// The kernel leaves its CPUs stopped after a panic (`panic=halt`): the machine is still up.
    var haltsAfterPanic = false
    /// A STOP nobody asked for: QEMU halted the guest by itself.
    var stoppedByQEMU = false
    /// How QEMU ended, once it has.
    var exit: ProcessExit?
    /// The KTAP the guest printed so far.
    var ktap = KTAPParser()
    var step = StepPlace.boot
}
