import KernelLibCore
// Host tests of the sampling the kernel's clock calibration uses: a measurement skewed by a
// descheduled vCPU must not become the clock's rate.
import Testing

@Suite struct AgreeingSamplesTests {
    @Test func twoMeasurementsThatAgreeDecideAtOnce() {
        var samples = AgreeingSamples()
        #expect(samples.add(2_000_000) == nil)
        #expect(samples.add(2_010_000) == 2_005_000)
        #expect(samples.count == 1, "the second measurement decided without being stored")
    }

    @Test func aSkewedMeasurementIsOutvotedByTwoThatAgree() {
        // The first 5 ms window read 20x too long (the vCPU was descheduled while the PIT ran out).
        var samples = AgreeingSamples()
        #expect(samples.add(40_000_000) == nil)
        #expect(samples.add(2_000_000) == nil)
        #expect(samples.add(1_990_000) == 1_995_000)
    }

    @Test func withoutAgreementTheMedianOfFiveIsTaken() {
        var samples = AgreeingSamples()
        let values: [UInt64] = [40_000_000, 2_000_000, 500_000, 2_500_000, 9_000_000]
        for value in values.dropLast() { #expect(samples.add(value) == nil) }
        #expect(samples.add(values.last!) == 2_500_000)
    }

    @Test func agreementIsWithinTwoPercentOfTheSmaller() {
        var within = AgreeingSamples()
        var beyond = AgreeingSamples()
        _ = within.add(1_000_000)
        #expect(within.add(1_020_000) == 1_010_000)
        _ = beyond.add(1_000_000)
        #expect(beyond.add(1_020_001) == nil)
    }
}
