// How a run ended, in the words the report uses: which watchdog fired (if any), what was
// expected, and the last serial lines.

/// The watchdogs, each distinct in the verdict.
public enum Watchdog: String, CaseIterable {
    case scenarioDeadline = "scenario deadline"
    case stepDeadline = "step deadline"
    case serialSilence = "serial silence"
    case noProgress = "no progress"
    case frozenDisplay = "frozen display"
    case qemuGone = "QEMU gone"
    case guestPanic = "guest panic"
    case tripleFault = "triple fault"

    /// Silence, lack of progress and a screen that stopped changing are how a hang shows.
    public var diagnosesHang: Bool { self == .serialSilence || self == .noProgress || self == .frozenDisplay }
}

public struct Verdict: Equatable {
    public enum Status: String {
        case passed, failed, error, skipped
    }

    /// What kind of end it was, for people and for the JUnit `type` attribute.
    public enum Kind: String {
        case expected = "as expected"
        case assertionFailed = "assertion failed"
        case expectedLineMissing = "expected line missing"
        case forbiddenLine = "forbidden line"
        case ktapFailures = "KTAP failures"
        case unexpectedExit = "unexpected exit"
        case hang
        case crash
        case panic
        case tripleFault = "triple fault"
        case deadline
        case launchFailure = "launch failure"
        case infrastructure
        case interrupted
    }

    public var status: Status
    public var kind: Kind
    public var message: String
    /// The watchdog that ended the run, if one did.
    public var watchdog: Watchdog?
    /// Extra detail: a hang diagnosis, QEMU's stderr, the panic report.
    public var details: [String] = []

    public init(_ status: Status, _ kind: Kind, _ message: String, watchdog: Watchdog? = nil, details: [String] = []) {
        self.status = status
        self.kind = kind
        self.message = message
        self.watchdog = watchdog
        self.details = details
    }

    public var isSuccess: Bool { status == .passed }
}
