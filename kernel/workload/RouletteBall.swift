// The roulette ball: thrown against the wheel's turn along the outer track, slowing each frame;
// once slow it drops into the pocket below it, rides with the wheel a while, and the spin is
// over. Pure arithmetic on the frame number and the seed, so a seed replays every frame.

struct RouletteBall {
    enum Phase { case rolling, dropping(frame: Int), resting(frame: Int), over }

    static let friction = 0.975
    static let dropSpeed = 0.004
    static let dropFrames = 16
    static let restFrames = 40

    /// Direction from the wheel's centre and distance from it, in turns and pixels.
    var angle = 0.0
    var distance = 0.0
    var speed = 0.0
    var phase = Phase.over
    /// The pocket the ball fell in (index round the wheel), and where in it relative to the
    /// wheel when it began to drop.
    var pocket = 0
    private var startOffset = 0.0

    /// A new throw from the seed's generator.
    mutating func throwBall(_ random: inout SeededRandom, trackRadius: Double) {
        angle = Double(random.next(below: 65536)) / 65536
        speed = 0.035 + Double(random.next(below: 1000)) / 1000 * 0.015
        distance = trackRadius
        phase = .rolling
    }

    /// Moves the ball one frame on, the wheel being turned by `rotation` turns. True when the
    /// spin is over (after this frame).
    mutating func step(rotation: Double, trackRadius: Double, restRadius: Double) -> Bool {
        let pocketTurn = 1 / Double(RouletteWheel.pocketCount)
        switch phase {
        case .rolling:
            angle -= speed
            speed *= Self.friction
            if speed < Self.dropSpeed {
                let offset = Self.fraction(angle - rotation)
                pocket = Int(offset * Double(RouletteWheel.pocketCount)) % RouletteWheel.pocketCount
                startOffset = offset
                phase = .dropping(frame: 0)
            }
        case .dropping(let frame):
            let t = Double(frame + 1) / Double(Self.dropFrames)
            let target = (Double(pocket) + 0.5) * pocketTurn
            angle = rotation + startOffset + (target - startOffset) * t
            distance = trackRadius + (restRadius - trackRadius) * t
            phase = frame + 1 == Self.dropFrames ? .resting(frame: 0) : .dropping(frame: frame + 1)
        case .resting(let frame):
            angle = rotation + (Double(pocket) + 0.5) * pocketTurn
            distance = restRadius
            phase = frame + 1 == Self.restFrames ? .over : .resting(frame: frame + 1)
        case .over: break
        }
        if case .over = phase { return true }
        return false
    }

    static func fraction(_ t: Double) -> Double {
        var f = t - Double(Int64(t))
        if f < 0 { f += 1 }
        return f >= 1 ? 0 : f
    }
}
