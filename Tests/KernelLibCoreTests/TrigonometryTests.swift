import Foundation
import KernelLibCore
// Host tests of the kernel's sine and arctangent (it has no libm) against the host's: the
// roulette places pockets, labels and the ball with them.
import Testing

@Suite struct TrigonometryTests {
    @Test func sineAndCosineMatchTheHostsOverSeveralTurns() {
        var t = -2.0
        while t <= 2.0 {
            #expect(abs(Trigonometry.sine(turns: t) - sin(2 * Double.pi * t)) < 1e-6, "sine at \(t) turns")
            #expect(abs(Trigonometry.cosine(turns: t) - cos(2 * Double.pi * t)) < 1e-6, "cosine at \(t) turns")
            t += 0.0137
        }
    }

    @Test func angleMatchesAtan2InTurnsInEveryQuadrant() {
        for i in 0..<720 {
            let a = Double(i) / 720
            for r in [1.0, 37.5, 160.0] {
                let x = r * cos(2 * Double.pi * a)
                let y = r * sin(2 * Double.pi * a)
                var difference = abs(Trigonometry.angle(y: y, x: x) - a)
                difference = min(difference, 1 - difference)  // 0 and 1 are the same direction
                #expect(difference < 1e-5, "angle of (\(x), \(y))")
            }
        }
        #expect(Trigonometry.angle(y: 0, x: 0) == 0)
        let below = Trigonometry.angle(y: -1e-12, x: 1)
        #expect(below >= 0 && below < 1)
    }
}
