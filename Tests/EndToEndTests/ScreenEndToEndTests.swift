// The harness sees the screen: a guest that draws (Tests/Soaks/draw-guest.S: a red square that
// stays, a white bar that moves until told to stop) booted with QEMU's standard VGA. Screenshots
// are PNG files libpng reads back, regions are compared between screenshots and with reference
// images, and the display watchdog calls a frozen screen a hang while the serial line chatters,
// but not a moving one.
import Foundation
import Runner
import Screen
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct ScreenEndToEndTests {
    @Test func screenshotsArePNGAndRegionsAreComparedWhileTheDisplayWatchSeesMotion() throws {
        let folder = try DrawGuest.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try DrawGuest.writeReference("square.png", in: folder, colour: DrawGuest.square)
        // The same square 6 off in red: within a channel tolerance of 8.
        try DrawGuest.writeReference("square-near.png", in: folder, colour: (0xd6, 0x20, 0x20))
        let result = try DrawGuest.run(
            """
            watchdogs: {silence: 10s, deadline: 90s, display: {within: 3s, after: "draw: ready"}}
            steps:
              - wait-serial: "/^draw: frame=3 /"
              - screen: {save: early}
              - pause: 1s
              - screen: {save: later}
              - screen: {changed: [early, later], region: "0,96 640x384"}
              - screen: {unchanged: [early, later], region: "0,0 64x64"}
              - screen: {compare: later, reference: square.png, region: "0,0 64x64"}
              - screen: {compare: later, reference: square-near.png, region: "0,0 64x64", tolerance: {channel: 8}}
              - pause: 4s
              - send-serial: s
              - wait-serial: "draw: stopped"
              - screen: {save: still}
              - send-serial: q
            expect: {exit: 33}
            """, in: folder)
        #expect(result.verdict.status == .passed, "\(result.verdict)")
        // A passing run keeps the screenshots it saved, as PNG.
        let artifacts = folder.appendingPathComponent("artifacts")
        let early = try DrawGuest.artifact("screen-early.png", of: result, artifacts: artifacts)
        #expect(early.width == 640 && early.height == 480)
        #expect(early.pixel(x: 10, y: 10) == DrawGuest.square)
        #expect(early.pixel(x: 100, y: 50) == DrawGuest.background)
        // Taken once the guest stopped drawing (a moving bar can be caught half drawn).
        let still = try DrawGuest.artifact("screen-still.png", of: result, artifacts: artifacts)
        let bar = (0..<640).filter { still.pixel(x: $0, y: 300) == DrawGuest.bar }
        #expect(bar.count == 16 && bar.last! - bar.first! == 15, "one bar, 16 pixels wide: \(bar)")
        #expect(still.pixel(x: 10, y: 10) == DrawGuest.square)
    }

    @Test func aRegionUnlikeItsReferenceFailsWithTheFigures() throws {
        let folder = try DrawGuest.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 4 off: beyond a tolerance of 2 in every pixel.
        try DrawGuest.writeReference("square-off.png", in: folder, colour: (0xd4, 0x20, 0x20))
        let result = try DrawGuest.run(
            """
            watchdogs: {silence: 10s, deadline: 90s}
            steps:
              - wait-serial: "/^draw: frame=3 /"
              - screen: {save: shot}
              - screen: {compare: shot, reference: square-off.png, region: "0,0 64x64", tolerance: {channel: 2, pixels: 1%}}
            expect: running
            """, in: folder)
        #expect(result.verdict.status == .failed, "\(result.verdict)")
        #expect(
            result.verdict.message.hasSuffix(
                "region 0,0 64x64 of 'shot' vs reference square-off.png: 100 % of pixels differ by more than 2, largest channel difference 4 (allowed 1 %)"
            ), "\(result.verdict.message)")
        #expect(result.verdict.message.hasPrefix("step 3 (line 5)"), "\(result.verdict.message)")
        // The failure keeps the screen before it.
        let artifacts = try #require(result.artifacts)
        let recent = try DrawGuest.artifact("screen-recent-1.png", of: result, artifacts: URL(fileURLWithPath: artifacts))
        #expect(recent.pixel(x: 10, y: 10) == DrawGuest.square)
        #expect(result.verdict.details.contains { $0.hasPrefix("the screen before the end, latest first: screen-recent-1.png") })
    }

    @Test func aScreenThatStopsChangingIsAHangThoughTheSerialLineChatters() throws {
        let folder = try DrawGuest.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try DrawGuest.run(
            """
            watchdogs: {silence: 10s, deadline: 90s, display: {within: 2s, after: "draw: ready"}}
            steps:
              - wait-serial: "/^draw: frame=5 /"
              - send-serial: s
              - wait-serial: {pattern: "never printed", within: 60s}
            expect: running
            """, in: folder)
        #expect(result.verdict.status == .error, "\(result.verdict)")
        #expect(result.verdict.kind == .hang)
        #expect(result.verdict.watchdog == .frozenDisplay)
        #expect(result.verdict.message.hasPrefix("hang: no change on the screen for 2.0s (frozen display watchdog)"))
        // After a `host-starved:` line when the host was busy.
        #expect(
            result.verdict.details.contains { $0.hasPrefix("display: the screen stayed the same for ") },
            "\(result.verdict.details)")
        // The guest kept printing: the serial line alone would not have told.
        // (The very last line may be cut short by the shutdown.)
        #expect(result.lastLines.filter { $0.hasPrefix("draw: idle frame=") }.count >= 5, "\(result.lastLines)")
        #expect(result.verdict.details.contains { $0.hasPrefix("diagnosis: CPU0 running") }, "\(result.verdict.details)")
        let artifacts = try #require(result.artifacts)
        let frozen = try DrawGuest.artifact("screen-recent-1.png", of: result, artifacts: URL(fileURLWithPath: artifacts))
        #expect(frozen.pixel(x: 10, y: 10) == DrawGuest.square)
    }

    @Test func anExpectedFrozenDisplayPasses() throws {
        let folder = try DrawGuest.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try DrawGuest.run(
            """
            watchdogs: {silence: off, deadline: 90s, display: {within: 2s, after: "draw: ready"}}
            steps:
              - wait-serial: "/^draw: frame=5 /"
              - send-serial: s
            expect: hang
            """, in: folder)
        #expect(result.verdict.status == .passed, "\(result.verdict)")
        #expect(result.verdict.watchdog == .frozenDisplay)
    }

    @Test func aMachineWithoutADisplayIsAnErrorSayingSo() throws {
        let folder = try DrawGuest.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = try FloodGuest.build(.silent, records: 0, in: folder)
        let result = try DrawGuest.run(
            """
            machine: {kernel: \(URL(fileURLWithPath: image).lastPathComponent), devices: []}
            watchdogs: {silence: off, deadline: 30s, display: 2s}
            steps:
              - pause: 5s
            expect: running
            """, in: folder)
        #expect(result.verdict.status == .error, "\(result.verdict)")
        #expect(result.verdict.kind == .infrastructure)
        #expect(
            result.verdict.message
                == "step 1 (line 4): the display watchdog could not take a screenshot: QEMU refused screendump: GenericError: There is no console to take a screendump from"
        )
    }
}
