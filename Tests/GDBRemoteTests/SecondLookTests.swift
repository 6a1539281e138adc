// The hang summary's second look: a vCPU caught in a timer tick's entry at the first stop (busy,
// IF=0) and idle in hlt a moment later is not reported with the frozen ones; one caught in a
// panic's last instructions and halted a moment later is reported where it stopped.
import Testing

@testable import Diagnosis

@Suite struct SecondLookTests {
    private func vcpu(_ index: Int, halted: Bool, interrupts: Bool, at location: String) -> VCPUReport {
        var report = VCPUReport(index: index)
        report.halted = halted
        report.rflags = interrupts ? 0x246 : 0x46
        report.rip = 0x100000 + UInt64(index)
        report.frames = [Frame(address: report.rip, location: location, isReturnAddress: false)]
        return report
    }

    @Test func aCPUPassingThroughCountsAsIdleAndTheFrozenOneStays() {
        var first = MachineDiagnosis()
        first.vcpus = [
            vcpu(0, halted: false, interrupts: true, at: "CrossCall.run+0x1f7"),
            vcpu(1, halted: true, interrupts: true, at: "idle+0x4"),
            vcpu(2, halted: false, interrupts: false, at: "haltWithInterruptsOff+0x7"),
            vcpu(3, halted: false, interrupts: false, at: "trap_stubs+0x400"),
        ]
        #expect(first.summary.contains("CPU3 running, IF=0"))
        var second = MachineDiagnosis()
        second.vcpus = [
            vcpu(0, halted: false, interrupts: true, at: "CrossCall.run+0x1f0"),
            vcpu(1, halted: true, interrupts: true, at: "idle+0x4"),
            vcpu(2, halted: false, interrupts: false, at: "haltWithInterruptsOff+0x7"),
            vcpu(3, halted: true, interrupts: true, at: "idle+0x4"),
        ]
        first.compare(withSecondLook: second, after: 0.1)
        #expect(
            first.summary
                == "CPU0 running, IF=1, in CrossCall.run+0x1f7; CPU2 running, IF=0, in haltWithInterruptsOff+0x7; 2 other CPUs idle in hlt"
        )
        #expect(first.movedTo.isEmpty, "the same functions both times")
        #expect(first.passingThrough == [3])
        #expect(first.fullText.contains("second look:\n  CPU0 running, IF=1, in CrossCall.run+0x1f0 (100 ms later)"))
        #expect(first.fullText.contains("CPU3 halted, IF=1, in idle+0x4 (100 ms later: it was passing through)"))
    }

    @Test func aBusyCPUFirstCaughtInAnInterruptShowsWhereItWasLater() {
        var first = MachineDiagnosis()
        first.vcpus = [
            vcpu(0, halted: false, interrupts: false, at: "Tick.interrupt(_:)+0x3c"),
            vcpu(2, halted: false, interrupts: false, at: "haltWithInterruptsOff+0x7"),
        ]
        var second = MachineDiagnosis()
        second.vcpus = [
            vcpu(0, halted: false, interrupts: true, at: "CrossCall.run(on:_:_:waitForCompletion:)+0x1f7"),
            vcpu(2, halted: false, interrupts: false, at: "haltWithInterruptsOff+0x7"),
        ]
        first.compare(withSecondLook: second, after: 0.1)
        #expect(
            first.summary
                == "CPU0 running, IF=0, in Tick.interrupt(_:)+0x3c (100 ms later: running, IF=1, in CrossCall.run(on:_:_:waitForCompletion:)+0x1f7); CPU2 running, IF=0, in haltWithInterruptsOff+0x7"
        )
    }

    /// Under panic=halt the harness diagnoses once "panic: halted" is read, and may catch CPU0
    /// still returning from printing that line: the second look reports where it stopped.
    @Test func aCPUCaughtJustBeforeItsFinalHaltIsReportedWhereItStopped() {
        var first = MachineDiagnosis()
        first.vcpus = [
            vcpu(0, halted: false, interrupts: false, at: "Console.line(_:)+0xdc"),
            vcpu(1, halted: true, interrupts: false, at: "Panic.stopHere(_:)+0x176"),
        ]
        var second = MachineDiagnosis()
        second.vcpus = [
            vcpu(0, halted: true, interrupts: false, at: "Panic.panic(_:frame:detail:)+0x5a3"),
            vcpu(1, halted: true, interrupts: false, at: "Panic.stopHere(_:)+0x176"),
        ]
        first.compare(withSecondLook: second, after: 0.1)
        #expect(
            first.summary
                == "CPU0 halted, IF=0, in Panic.panic(_:frame:detail:)+0x5a3 (100 ms earlier: running, in Console.line(_:)); CPU1 halted, IF=0, in Panic.stopHere(_:)+0x176"
        )
        #expect(
            first.fullText.contains(
                "second look:\n  CPU0 halted, IF=0, in Panic.panic(_:frame:detail:)+0x5a3 (100 ms later: stopped there)"))
        #expect(first.movedTo.isEmpty && first.passingThrough.isEmpty)
    }
}
