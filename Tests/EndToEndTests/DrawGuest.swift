// Builds Tests/Soaks/draw-guest.S, the guest that sets a Bochs VBE mode and moves a bar on the
// screen until told to stop (see the source), and runs scenarios on it in a folder of their own.
import Foundation
import Glibc
import Runner
import Scenario
import Screen
import TestSupport
import Testing

enum DrawGuest {
    /// The picture's fixed parts, as draw-guest.S paints them.
    static let background: (UInt8, UInt8, UInt8) = (0x20, 0x30, 0x50)
    static let square: (UInt8, UInt8, UInt8) = (0xd0, 0x20, 0x20)
    static let bar: (UInt8, UInt8, UInt8) = (0xf0, 0xf0, 0xf0)

    /// A fresh folder holding the guest and a profiles.yaml booting it with the standard VGA.
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("e2e-draw-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SoakGuest.build("draw-guest.S", into: folder.appendingPathComponent("draw.elf").path)
        try "default: {kernel: draw.elf, devices: [VGA], accel: tcg, vcpus: 1, memory: 32M}\n".write(
            to: folder.appendingPathComponent("profiles.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    /// A `width` x `height` PNG of one colour, written into `folder` as `name`.
    static func writeReference(_ name: String, in folder: URL, width: Int = 64, height: Int = 64, colour: (UInt8, UInt8, UInt8))
        throws
    {
        let pixels = (0..<width * height).flatMap { _ in [colour.0, colour.1, colour.2] }
        let png = try PNGCodec.encode(ScreenImage(width: width, height: height, pixels: pixels)!)
        try Data(png).write(to: folder.appendingPathComponent(name))
    }

    /// Runs `yaml` in `folder` once; `inspect` sees the result while its artifacts exist. QEMU
    /// must be reaped and its private directory gone afterwards.
    static func run(_ yaml: String, in folder: URL, inspect: (RunResult) throws -> Void = { _ in }) throws -> RunResult {
        let file = folder.appendingPathComponent("case-\(UInt32.random(in: 0...UInt32.max)).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let scenario = try ScenarioParser.parse(file: file.path)
        var options = RunOptions()
        options.artifactsDirectory = folder.appendingPathComponent("artifacts").path
        let run = ScenarioRun(RunRequest(scenario: scenario, seed: 1, attempt: 1), options: options)
        var launched: (pid: pid_t, directory: String)?
        run.onLaunch = { machine in launched = (machine.process.pid, String(machine.sockets.qmp.dropLast("/qmp.sock".count))) }
        let result = run.execute()
        if let launched {
            #expect(kill(launched.pid, 0) == -1 && errno == ESRCH, "QEMU \(launched.pid) outlived its run")
            #expect(!FileManager.default.fileExists(atPath: launched.directory), "\(launched.directory) was left behind")
        }
        try inspect(result)
        return result
    }

    /// A PNG artifact read back through libpng.
    static func artifact(_ name: String, of result: RunResult, artifacts: URL) throws -> ScreenImage {
        let folder = result.artifacts ?? artifacts.appendingPathComponent("\(result.scenario.name)-seed1").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)"))
        return try PNGCodec.decode(Array(bytes))
    }
}
