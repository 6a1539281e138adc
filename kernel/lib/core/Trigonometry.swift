// Sine and arctangent for the kernel, which has no libm: angles in turns (1 = 360°), from
// Taylor and minimax polynomials on a reduced range. Accurate to about 1e-5 turn, plenty for
// pixels, and the same result on every run. Plain Swift, built for the host too (KernelLibCore).

public enum Trigonometry {
    /// sin(2π·t).
    public static func sine(turns t: Double) -> Double {
        var x = t - Double(Int64(t))
        if x < 0 { x += 1 }
        if x > 0.5 { x -= 1 }  // (-0.5, 0.5]
        if x > 0.25 {
            x = 0.5 - x
        } else if x < -0.25 {
            x = -0.5 - x
        }
        let r = x * 2 * Double.pi
        let r2 = r * r
        return r * (1 - r2 / 6 * (1 - r2 / 20 * (1 - r2 / 42 * (1 - r2 / 72 * (1 - r2 / 110)))))
    }

    /// cos(2π·t).
    public static func cosine(turns t: Double) -> Double { sine(turns: t + 0.25) }

    /// The direction of (x, y) in turns, in [0, 1): atan2(y, x) / 2π.
    public static func angle(y: Double, x: Double) -> Double {
        let ax = x < 0 ? -x : x
        let ay = y < 0 ? -y : y
        if ax == 0 && ay == 0 { return 0 }
        var a = ax >= ay ? arctangent(ay / ax) : Double.pi / 2 - arctangent(ax / ay)
        if x < 0 { a = Double.pi - a }
        if y < 0 { a = -a }
        var turns = a / (2 * Double.pi)
        if turns < 0 { turns += 1 }
        return turns >= 1 ? 0 : turns
    }

    /// atan(z) for |z| ≤ 1.
    private static func arctangent(_ z: Double) -> Double {
        let z2 = z * z
        return z
            * (0.99997726 + z2 * (-0.33262347 + z2 * (0.19354346 + z2 * (-0.11643287 + z2 * (0.05265332 + z2 * -0.01172120)))))
    }
}
