// `screen:` steps and `watchdogs.display` as the parser reads and refuses them.
import Foundation
import QEMUMachine
import Screen
import Testing

@testable import Scenario

@Suite struct ScreenStepParserTests {
    private var profiles: ProfileLibrary {
        var machine = MachineProfile()
        machine.kernel = "/k/kernel.img"
        return ProfileLibrary(profiles: ["default": .init(machine: machine, never: [])], file: nil)
    }

    private func parse(_ text: String) throws -> Scenario {
        try ScenarioParser.parse(text, file: "s.yaml", profiles: profiles)
    }

    @Test func stepsAndTheDisplayWatchAreRead() throws {
        let scenario = try parse(
            """
            watchdogs: {display: {within: 3s, after: "draw: ready", until: "/^draw: done/"}}
            steps:
              - screen: {save: first}
              - screen: {save: second}
              - screen: {changed: [first, second], region: "0,96 640x384"}
              - screen: {unchanged: [first, second], region: "0,0 64x64", tolerance: {channel: 4, pixels: 0.5%}}
              - screen: {compare: first, reference: square.png, region: "0,0 64x64", tolerance: {channel: 8}}
            expect: running
            """)
        let display = try #require(scenario.watchdogs.display)
        #expect(display.within == 3)
        #expect(display.after?.matches("draw: ready") == true)
        #expect(display.until?.matches("draw: done frames=4") == true)
        guard case .screen(.save(let name)) = scenario.steps[0].value else {
            Issue.record("\(scenario.steps[0])")
            return
        }
        #expect(name == "first")
        guard case .screen(.check(let changed)) = scenario.steps[2].value,
            case .screen(.check(let unchanged)) = scenario.steps[3].value,
            case .screen(.check(let compare)) = scenario.steps[4].value
        else {
            Issue.record("\(scenario.steps)")
            return
        }
        #expect(changed.kind == .changed(other: "second"))
        #expect(changed.shot == "first")
        #expect(changed.region == ScreenRegion(x: 0, y: 96, width: 640, height: 384))
        #expect(changed.channelTolerance == 0 && changed.pixelPercent == 0)
        #expect(unchanged.kind == .unchanged(other: "second"))
        #expect(unchanged.channelTolerance == 4 && unchanged.pixelPercent == 0.5)
        guard case .reference(let path, let written) = compare.kind else {
            Issue.record("\(compare.kind)")
            return
        }
        #expect(written == "square.png")
        #expect(path.hasSuffix("/square.png") && path.hasPrefix("/"), "resolved: \(path)")
        #expect(compare.channelTolerance == 8)
        #expect(try parse("watchdogs: {display: 2s, silence: off}\nexpect: hang\n").watchdogs.display?.within == 2)
    }

    @Test(arguments: [
        ("expect: running\nsteps:\n  - screen: {compare: first, reference: a.png}\n", 3, "no screenshot 'first'"),
        ("expect: running\nsteps:\n  - screen: {save: a}\n  - screen: {changed: [a, b]}\n", 4, "no screenshot 'b'"),
        ("expect: running\nsteps:\n  - screen: {save: a}\n  - screen: {changed: [a]}\n", 4, "names two screenshots"),
        ("expect: running\nsteps:\n  - screen: {save: ../x}\n", 3, "a screenshot's name"),
        ("expect: running\nsteps:\n  - screen: {save: a, changed: [a, a]}\n", 3, "exactly one of"),
        (
            "expect: running\nsteps:\n  - screen: {save: a}\n  - screen: {unchanged: [a, a], region: 0 0 64 64}\n", 4,
            "'X,Y WxH'"
        ),
        (
            "expect: running\nsteps:\n  - screen: {save: a}\n  - screen: {unchanged: [a, a], region: \"0,0 0x4\"}\n", 4,
            "'X,Y WxH'"
        ),
        (
            "expect: running\nsteps:\n  - screen: {save: a}\n  - screen: {unchanged: [a, a], tolerance: {channel: 300}}\n", 4,
            "screen.tolerance.channel"
        ),
        (
            "expect: running\nsteps:\n  - screen: {save: a}\n  - screen: {unchanged: [a, a], tolerance: {pixels: 5}}\n", 4,
            "a percentage"
        ),
        ("expect: running\nsteps:\n  - screen: {save: a}\n  - screen: {compare: a}\n", 4, "needs 'reference'"),
        (
            "expect: running\nsteps:\n  - screen: {save: a}\n  - screen: {compare: a, reference: /etc/passwd}\n", 4,
            "outside the scenario root"
        ),
        (
            "expect: running\nsteps:\n  - screen: {save: a}\n  - screen: {changed: [a, a], reference: x.png}\n", 4,
            "unknown key 'reference'"
        ),
        ("expect: running\nwatchdogs: {display: {after: x}}\n", 2, "needs 'within'"),
        ("expect: running\nwatchdogs: {display: {within: 2s, while: x}}\n", 2, "unknown key 'while'"),
    ])
    func badStepsAreRefusedWithLineAndReason(text: String, line: Int, reason: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted: \(text)")
        } catch let error as ScenarioError {
            #expect(error.line == line, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test func displayDevicesAreAllowedWithoutAROM() throws {
        let scenario = try parse("machine: {devices: [\"VGA,xres=800,yres=600\", bochs-display]}\nexpect: running\n")
        #expect(scenario.machine.devices.count == 2)
        #expect(throws: ScenarioError.self) { try parse("machine: {devices: [\"VGA,romfile=/etc/passwd\"]}\nexpect: running\n") }
    }
}
