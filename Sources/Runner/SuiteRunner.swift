// Runs a RunPlan's runs (this shard's part of it) on --jobs worker threads, one VM per thread,
// in plan order, and stops handing out work after Ctrl-C (each running VM is then torn down by
// its own thread) or, with --until-failure, after the first failure. A scenario tagged `exclusive` (one whose figures
// are about the host's cores, like a speed-up) runs with no other VM beside it.
import Foundation
import HostSystem
import QEMUMachine
import Scenario

public final class SuiteRunner {
    /// The runs to do: scenarios × rounds, their seeds and this harness's shard of them.
    public typealias Plan = RunPlan

    private let plan: Plan
    private let jobs: Int
    private let options: RunOptions
    private let observer: RunObserver
    private let lock = NSLock()
    private var cursor: RunPlan.Cursor
    private var stopHandingOut = false
    private var results: [(order: Int, result: RunResult)] = []
    /// VMs running now, and whether an exclusive run is running or waiting for the others to end
    /// (no new run starts meanwhile, so it cannot be starved).
    private let slots = NSCondition()
    private var running = 0
    private var exclusiveClaimed = false

    public init(plan: Plan, jobs: Int, options: RunOptions, observer: RunObserver) {
        self.plan = plan
        cursor = plan.makeCursor()
        self.jobs = max(1, jobs)
        self.options = options
        self.observer = observer
    }

    /// Runs everything; returns the results in plan order (runs never started are absent), as
    /// summaries: the serial lines, KTAP cases and properties of each went to the observer (the
    /// report), so a long soak does not keep every run's output in memory.
    public func run() -> [RunResult] {
        guard !plan.scenarios.isEmpty else { return [] }
        let group = DispatchGroup()
        var threads: [Thread] = []
        for slot in 0..<jobs {
            group.enter()
            let thread = Thread { [self] in
                self.work(slot: slot)
                group.leave()
            }
            // QEMU is the heavy part; the harness thread itself needs little stack.
            thread.stackSize = 1 << 20
            threads.append(thread)
            thread.start()
        }
        group.wait()
        return results.sorted { $0.order < $1.order }.map(\.result)
    }

    private func work(slot: Int) {
        while let (entry, request) = nextRequest() {
            let exclusive = request.scenario.isExclusive
            guard claimSlot(exclusive: exclusive) else { break }
            defer { releaseSlot(exclusive: exclusive) }
            observer.runStarted(slot: slot, request: request)
            let run = ScenarioRun(request, options: options)
            run.onLine = { [observer] line in observer.runPrinted(slot: slot, request: request, line: line) }
            run.onDiagnosis = { [observer] watchdog in observer.runDiagnosing(slot: slot, request: request, watchdog: watchdog) }
            var result = run.execute()
            if Reproduction.isWanted(result, options: options) {
                result = Reproduction.check(result, request: request, options: options)
            }
            result.properties += plan.properties(for: entry)
            observer.runFinished(slot: slot, result: result)
            lock.lock()
            results.append((entry.index, result.summary))
            if plan.untilFailure && (result.verdict.status == .failed || result.verdict.status == .error) {
                stopHandingOut = true
            }
            lock.unlock()
        }
    }

    /// Waits until this run may start: an exclusive one until no VM runs, any other while an
    /// exclusive one runs or waits. False after Ctrl-C.
    private func claimSlot(exclusive: Bool) -> Bool {
        slots.lock()
        defer { slots.unlock() }
        if exclusive {
            while exclusiveClaimed && !InterruptSignal.wasReceived { slots.wait() }
            exclusiveClaimed = true
            while running > 0 && !InterruptSignal.wasReceived { slots.wait() }
        } else {
            while exclusiveClaimed && !InterruptSignal.wasReceived { slots.wait() }
        }
        if InterruptSignal.wasReceived {
            if exclusive {
                exclusiveClaimed = false
                slots.broadcast()
            }
            return false
        }
        running += 1
        return true
    }

    private func releaseSlot(exclusive: Bool) {
        slots.lock()
        running -= 1
        if exclusive { exclusiveClaimed = false }
        slots.broadcast()
        slots.unlock()
    }

    private func nextRequest() -> (RunPlan.Entry, RunRequest)? {
        lock.lock()
        defer { lock.unlock() }
        if stopHandingOut || InterruptSignal.wasReceived { return nil }
        guard let entry = cursor.next() else { return nil }
        let request = RunRequest(scenario: plan.scenarios[entry.scenarioIndex], seed: entry.seed, attempt: entry.attempt)
        return (entry, request)
    }
}

/// Told about runs as they start, print and finish. Called from worker threads.
public protocol RunObserver: AnyObject {
    func runStarted(slot: Int, request: RunRequest)
    func runPrinted(slot: Int, request: RunRequest, line: SerialLine)
    func runFinished(slot: Int, result: RunResult)
    /// A watchdog fired and the live VM is being diagnosed.
    func runDiagnosing(slot: Int, request: RunRequest, watchdog: Watchdog)
}

extension RunObserver {
    public func runDiagnosing(slot: Int, request: RunRequest, watchdog: Watchdog) {}
}
