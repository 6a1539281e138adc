import Runner
import Scenario
// Scenario steps through the gdbstub on the real kernel: variables read by name into captures,
// a breakpoint reached, a step, memory written, and a misspelt symbol refused before boot.
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct GDBStepsEndToEndTests {
    @Test func readsBreaksStepsWritesAndResumes() throws {
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 2}
            watchdogs: {silence: 20s, deadline: 90s}
            steps:
              - wait-serial: {pattern: "shell: ready", within: 30s}
              - gdb: {read: Kernel.CPUs.count, as: cpus}
              - assert: {value: cpus.value, equals: 2}
              - gdb: {read: Kernel.CPUs.blocks, as: blocks}
              - assert: {value: blocks.1, above: 0}
              - assert: {value: blocks.2, equals: 0}
              - gdb: {break: "trapDispatch(_:)", within: 20s}
              - gdb: step
              - gdb: {write: Kernel.memoryCounters, index: 7, value: 12345}
              - gdb: {read: Kernel.memoryCounters, as: counters}
              - assert: {value: counters.7, equals: 12345}
              - gdb: continue
              - send-serial: "heartbeat"
              - wait-serial: {pattern: "heartbeat:", within: 20s}
            expect: running
            """)
        #expect(result.verdict.status == .passed, "\(result.verdict)")
    }

    @Test func aBreakpointNeverReachedFailsTheStep() throws {
        let result = try KernelScenario.run(
            """
            machine: {vcpus: 2}
            watchdogs: {silence: 20s, deadline: 60s}
            steps:
              - wait-serial: {pattern: "shell: ready", within: 30s}
              - gdb: {break: "Panic.stopOtherCPUs(except:)", within: 2s}
            expect: running
            """)
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(result.verdict.message.contains("no vCPU reached"), "\(result.verdict.message)")
    }

    @Test func anUnknownSymbolIsRefusedWithFileAndLine() throws {
        do {
            _ = try KernelScenario.run(
                """
                steps:
                  - wait-serial: "shell: ready"
                  - gdb: {read: Kernel.noSuchCounter, as: x}
                expect: running
                """)
            Issue.record("the scenario should be refused")
        } catch let error as ScenarioError {
            #expect(error.line == 3)
            #expect(error.reason.contains("no symbol 'Kernel.noSuchCounter'"))
        }
    }
}
