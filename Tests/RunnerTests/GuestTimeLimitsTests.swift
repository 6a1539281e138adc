import HostSystem
// Deterministic mode's limits in guest time, driven with a counter and chosen instants.
import Testing

@testable import Runner

@Suite struct GuestTimeLimitsTests {
    final class Counter {
        var instructions: Int64? = 1_000
        var drained = 0
    }

    private func limits(_ counter: Counter, shift: Int = 3) -> GuestTimeLimits {
        GuestTimeLimits(shift: shift, readInstructions: { counter.instructions }, drainConsole: { counter.drained += 1 })
    }

    @Test func aLimitFiresOnlyOnceTheGuestHasRunIt() {
        let counter = Counter()
        let guest = limits(counter)
        let since = MonotonicInstant(nanoseconds: 1_000_000_000_000)
        let due = since.adding(seconds: 5)
        // Due in host time: the guest clock starts now, nothing fires.
        #expect(!guest.confirms(.serialSilence, limit: 5, since: since, now: due))
        #expect(guest.nextCheck(.serialSilence, since: since) == due.adding(seconds: 5))
        #expect(counter.drained == 1)
        // 4 s of guest time later (500M instructions of 8 ns): not yet; looked at again later.
        counter.instructions = 1_000 + 500_000_000
        #expect(!guest.confirms(.serialSilence, limit: 5, since: since, now: due.adding(seconds: 5)))
        let next = guest.nextCheck(.serialSilence, since: since)!
        #expect(next > due.adding(seconds: 5))
        // 5 s of guest time: it fires, and says what it measured.
        counter.instructions = 1_000 + 625_000_000
        #expect(guest.confirms(.serialSilence, limit: 5, since: since, now: next))
        #expect(
            guest.lastFiring
                == "serial silence: 5.000 s of guest time (625000000 instructions) after \(next.seconds(since: since).fixed3) s of host time"
        )
        // A new interval (output came) starts over.
        #expect(!guest.confirms(.serialSilence, limit: 5, since: next, now: next.adding(seconds: 5)))
    }

    @Test func aGuestThatBarelyRunsIsCaughtByTheHostBackstop() {
        let counter = Counter()
        let guest = limits(counter)
        let since = MonotonicInstant(nanoseconds: 1_000_000_000_000)
        #expect(!guest.confirms(.stepDeadline, limit: 2, since: since, now: since.adding(seconds: 2)))
        counter.instructions = 1_001
        #expect(!guest.confirms(.stepDeadline, limit: 2, since: since, now: since.adding(seconds: 59)))
        #expect(guest.confirms(.stepDeadline, limit: 2, since: since, now: since.adding(seconds: 60)))
        #expect(
            guest.lastFiring?.hasPrefix("step deadline: host-time backstop after 60.000 s; the guest ran only 0.000 s") == true)
    }

    @Test func anUnreadableCounterLeavesTheVerdictToHostTime() {
        let counter = Counter()
        counter.instructions = nil
        let guest = limits(counter)
        let since = MonotonicInstant(nanoseconds: 1_000_000_000_000)
        #expect(guest.confirms(.scenarioDeadline, limit: 120, since: since, now: since.adding(seconds: 120)))
        #expect(guest.lastFiring == "scenario deadline: QEMU's instruction count could not be read; judged in host time")
    }
}
