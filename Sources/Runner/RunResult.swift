// Everything the report and the summary need about one finished run.
import KTAP
import QEMUMachine
import Scenario

public struct RunResult {
    public let scenario: Scenario
    public let seed: UInt64
    /// 1-based repetition number (for --repeat and --until-failure).
    public let attempt: Int
    public var verdict: Verdict
    public var duration: Double
    /// The KTAP document, when the kernel printed one.
    public var ktap: KTAPDocument?
    public var serialHead: [SerialLine] = []
    public var serialTail: [SerialLine] = []
    public var omittedSerialLines = 0
    public var serialBytes = 0
    /// QEMU version, accelerator, vCPUs, seed, kernel hash.
    public var properties: [(name: String, value: String)] = []
    /// Where the failed run's serial log, QMP transcript and verdict were kept.
    public var artifacts: String?
    /// The command that reruns just this scenario with this seed.
    public var rerunCommand: String
    /// Seconds from the harness's start to the first serial line (nil: none came).
    public var firstSerialLineAfter: Double?
    /// The `capture` steps' values (`NAME.key`, and `NAME.at_ms` for when the line came).
    public var captures: [String: Int64] = [:]
    /// What the harness noticed that does not decide the verdict (the guest brought up fewer
    /// CPUs than asked for): printed with the run and put in its JUnit case's system-err.
    public var warnings: [String] = []
    /// Set when a watchdog's hang was diagnosed on the live machine.
    public var diagnosisTiming: DiagnosisTiming?

    public init(scenario: Scenario, seed: UInt64, attempt: Int, verdict: Verdict, duration: Double, rerunCommand: String) {
        self.scenario = scenario
        self.seed = seed
        self.attempt = attempt
        self.verdict = verdict
        self.duration = duration
        self.rerunCommand = rerunCommand
    }

    /// "name" or "name #3" when repeated.
    public var displayName: String { attempt > 1 ? "\(scenario.name) #\(attempt)" : scenario.name }

    /// The result without its output (serial lines, KTAP document, properties): what the
    /// summary table, the flake rates and the counts need.
    public var summary: RunResult {
        var slim = self
        slim.serialHead = []
        slim.serialTail = []
        slim.ktap = nil
        slim.properties = []
        return slim
    }

    /// The last serial lines, for verdicts and failure messages.
    public var lastLines: [String] { (serialHead.suffix(max(0, 20 - serialTail.count)) + serialTail.suffix(20)).map(\.text) }
}
