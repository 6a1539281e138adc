// `workload=roulette spins=N`: the seed's roulette, the animation whose freeze started the
// project. A compositor task (video/Compositor.swift) shows a wheel of numbered pockets turning
// and a ball slowing down, one spin after another; two updater tasks on other CPUs draw the
// wheel and move the ball. Frames advance in lock step (the compositor asks for frame f, each
// updater does its part of f, the compositor composes it), so a seed gives the same frames and
// the same results on every run. Prints `roulette: start ...` and the settled memory lines,
// `roulette: spin ...` per spin, `roulette: done ...` and the settled memory lines again: memory
// must be back at its baseline.
import Synchronization

final class RouletteRun {
    static let backgroundLayer = 1
    static let wheelLayer = 2
    static let ballLayer = 3
    static let statusLayer = 4
    static let ballSide = 16
    /// The wheel turns this much every frame, in turns.
    static let wheelSpeed = 0.004

    let spins: Int
    let compositor: Compositor
    let wheel: RouletteWheel
    let centreX: Int
    let centreY: Int
    let trackRadius: Double
    let initialRotation: Double
    /// The ball task's own generator (one task draws from it, so the order is the seed's).
    var random: SeededRandom
    var ball = RouletteBall()
    /// Written by the ball task for frame f before it counts its update; read by the
    /// compositor once every update of f is counted.
    var spinOverAtFrame = -1
    var lastResult = -1
    var spinsStarted = 0

    init(spins: Int, seed: UInt64, width: Int, height: Int, framebuffer: Framebuffer?) {
        self.spins = spins
        random = SeededRandom(seed: seed)
        compositor = Compositor(width: width, height: height, framebuffer: framebuffer)
        let radius = max(40, min(width, height) / 3)
        wheel = RouletteWheel(radius: radius)
        centreX = width / 2
        centreY = height / 2
        trackRadius = Double(radius) + 12
        initialRotation = Double(random.next(below: 65536)) / 65536

        let background = TiledImage(width: width, height: height, fill: 0xFF0B_5D2E)
        background.fillDisc(cx: centreX, cy: centreY, r: radius + 26, 0xFFD4_B060)
        background.fillDisc(cx: centreX, cy: centreY, r: radius + 24, 0xFF4A_2E16)
        compositor.add(Layer(id: Self.backgroundLayer, depth: 0, x: 0, y: 0, image: background))
        compositor.add(
            Layer(
                id: Self.wheelLayer, depth: 1, x: centreX - radius, y: centreY - radius,
                image: wheel.render(rotation: initialRotation)))
        let ballImage = TiledImage(width: Self.ballSide, height: Self.ballSide)
        ballImage.fillDisc(cx: Self.ballSide / 2, cy: Self.ballSide / 2, r: Self.ballSide / 2 - 1, 0xFFB4_B4B4)
        ballImage.fillDisc(cx: Self.ballSide / 2 - 1, cy: Self.ballSide / 2 - 1, r: Self.ballSide / 2 - 3, 0xFFF8_F8F8)
        compositor.add(Layer(id: Self.ballLayer, depth: 2, x: -Self.ballSide, y: -Self.ballSide, image: ballImage))
        compositor.add(Layer(id: Self.statusLayer, depth: 3, x: 12, y: 12, image: status(spin: 1, result: -1)))
    }

    func rotation(atFrame f: Int) -> Double { initialRotation + Double(f) * Self.wheelSpeed }

    /// The box in the corner: `SPIN n` and, once known, the last result on its pocket's colour.
    func status(spin: Int, result: Int) -> TiledImage {
        let image = TiledImage(width: 200, height: 32, fill: 0xFF20_2020)
        Glyphs.draw("SPIN", into: image, x: 8, y: 8, scale: 3, color: 0xFFF0_F0F0)
        Glyphs.draw(number: spin, into: image, x: 64, y: 8, scale: 3, color: 0xFFF0_F0F0)
        if result >= 0 {
            image.fill(ScreenRect(x: 120, y: 4, width: 72, height: 24), RouletteWheel.color(ofNumber: result))
            let w = Glyphs.width(count: Glyphs.digits(result), scale: 3)
            Glyphs.draw(number: result, into: image, x: 156 - w / 2, y: 8, scale: 3, color: 0xFFF0_F0F0)
        }
        return image
    }

    /// The wheel task's part of frame f.
    func drawWheel(frame f: Int) {
        compositor.replaceImage(id: Self.wheelLayer, with: wheel.render(rotation: rotation(atFrame: f)))
    }

    /// The ball task's part of frame f: a new throw when none is under way, one step of it,
    /// and the status box when the spin ends.
    func moveBall(frame f: Int) {
        if case .over = ball.phase {
            spinsStarted += 1
            ball.throwBall(&random, trackRadius: trackRadius)
            if spinsStarted > 1 {
                compositor.replaceImage(id: Self.statusLayer, with: status(spin: spinsStarted, result: lastResult))
            }
        }
        let over = ball.step(rotation: rotation(atFrame: f), trackRadius: trackRadius, restRadius: wheel.restRadius)
        let x = centreX + Int(ball.distance * Trigonometry.cosine(turns: ball.angle)) - Self.ballSide / 2
        let y = centreY + Int(ball.distance * Trigonometry.sine(turns: ball.angle)) - Self.ballSide / 2
        compositor.move(id: Self.ballLayer, x: x, y: y)
        if over {
            lastResult = wheel.numbers[ball.pocket]
            spinOverAtFrame = f
            compositor.replaceImage(id: Self.statusLayer, with: status(spin: spinsStarted, result: lastResult))
        }
    }
}

enum Roulette {
    static let updaters = 2
    /// The frame the compositor has asked for; the updates counted for it so far.
    static let requestedFrame = Atomic<Int>(-1)
    static let updatesDone = Atomic<Int>(0)
    static let finished = Atomic<Bool>(false)
    nonisolated(unsafe) static var updaterQueue: WaitQueuePointer? = nil
    nonisolated(unsafe) static var compositorQueue: WaitQueuePointer? = nil
    nonisolated(unsafe) static var current: RouletteRun? = nil
    nonisolated(unsafe) static var startMicroseconds: UInt64 = 0

    static func run(spins: Int, seed: UInt64, width: Int, height: Int) {
        let framebuffer = BochsDisplay.start(width: width, height: height)
        // Kept for the next run, so made before the baseline.
        ThreadBatch.prepare()
        updaterQueue = updaterQueue ?? WaitQueue.make()
        compositorQueue = compositorQueue ?? WaitQueue.make()
        Storms.settle()
        // Keys of the roulette lines: docs/kernel-interface.md, "Figure lines".
        Console.record("roulette: start") { l in
            l.field("spins", spins)
            l.field("seed", seed)
            l.field("width", width)
            l.field("height", height)
            l.field("cpus", CPUs.onlineCount)
        }
        StatisticsLines.print()
        requestedFrame.store(-1, ordering: .relaxed)
        updatesDone.store(0, ordering: .relaxed)
        finished.store(false, ordering: .relaxed)
        current = RouletteRun(spins: spins, seed: seed, width: width, height: height, framebuffer: framebuffer)
        let last = max(1, CPUs.count - 1)
        ThreadBatch.run(count: 1 + updaters, rouletteTask, pinned: true, on: { min($0 + 1, last) })
        let elapsed = Clock.microsecondsSince(startMicroseconds)
        // Frame 0 was held; the rate counts the frames after it.
        let frames = max(0, (current?.compositor.frames ?? 0) - 1)
        current = nil
        Storms.settle()
        Console.record("roulette: done") { l in
            l.field("spins", spins)
            l.field("frames", frames)
            l.field("elapsed_ms", elapsed / 1000)
            l.field("fps", elapsed == 0 ? 0 : UInt64(frames) * 1_000_000 / elapsed)
            l.field("frame_us", frames == 0 ? 0 : elapsed / UInt64(frames))
        }
        StatisticsLines.print()
    }

    /// The compositor's task: asks for each frame, waits for both updates, composes it; after
    /// the frame that ends a spin, prints the spin's line.
    fileprivate static func compose(_ run: RouletteRun) {
        var frame = 0
        var spinsDone = 0
        var spinFirstFrame = 0
        var spinStart: UInt64 = 0
        while spinsDone < run.spins {
            requestedFrame.store(frame, ordering: .releasing)
            wakeAll(updaterQueue!)
            wait(on: compositorQueue!) { updatesDone.load(ordering: .acquiring) >= updaters * (frame + 1) }
            run.compositor.composeFrame()
            if frame == 0 {
                // The first frame is the seed's alone: held still so a screenshot can catch it.
                Console.line("roulette: first frame shown")
                TickWait.wait(milliseconds: Parameters.rouletteFirstFrameHoldMilliseconds) { false }
                startMicroseconds = Clock.microsecondsSinceBoot
                spinStart = startMicroseconds
            }
            if run.spinOverAtFrame == frame {
                spinsDone += 1
                let elapsed = Clock.microsecondsSince(spinStart)
                Console.record("roulette: spin") { l in
                    l.field("spin", spinsDone)
                    l.field("result", run.lastResult)
                    l.field("frames", frame + 1 - spinFirstFrame)
                    l.field("elapsed_ms", elapsed / 1000)
                }
                spinFirstFrame = frame + 1
                spinStart = Clock.microsecondsSinceBoot
            }
            frame += 1
        }
        finished.store(true, ordering: .releasing)
        wakeAll(updaterQueue!)
    }

    /// An updater's task: its part of every frame asked for, until the compositor is done.
    fileprivate static func update(_ run: RouletteRun, wheel: Bool) {
        var frame = 0
        while true {
            wait(on: updaterQueue!) {
                finished.load(ordering: .acquiring) || requestedFrame.load(ordering: .acquiring) >= frame
            }
            if finished.load(ordering: .acquiring) { return }
            if wheel { run.drawWheel(frame: frame) } else { run.moveBall(frame: frame) }
            updatesDone.wrappingAdd(1, ordering: .releasing)
            wakeAll(compositorQueue!)
            frame += 1
        }
    }
}

private let rouletteTask: TaskEntry = { which in
    if let run = Roulette.current {
        if which == 0 { Roulette.compose(run) } else { Roulette.update(run, wheel: which == 1) }
    }
    ThreadBatch.finishOne()
}
