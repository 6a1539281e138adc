// The guest's screen in a run: `screen:` steps (save a screenshot, compare regions), the display
// watch's screenshots, and the pictures a run leaves in its artifacts as PNG.
import Foundation
import Glibc
import HostSystem
import QEMUMachine
import QMP
import Scenario
import Screen

extension ScenarioRun {
    /// The scenario looks at the screen (its steps or its display watch): a failed run then
    /// keeps a screenshot of the moment.
    var usesScreen: Bool {
        scenario.watchdogs.display != nil
            || scenario.steps.contains {
                if case .screen = $0.value { return true }
                return false
            }
    }

    /// A screenshot now, noted in the recorder and, as changed or not, by the monitor. A
    /// connection that closed (QEMU exited meanwhile), a timeout and Ctrl-C are thrown as they
    /// are, for the run to judge; anything else as a ScreenFailure saying `what` failed.
    func takeScreenshot(_ what: String, timeout: Double? = nil) throws -> ScreenImage {
        guard let machine else { throw ScreenFailure(description: "\(what): no machine") }
        let image: ScreenImage
        do {
            image = try PPMReader.image(try machine.screendump(timeout: timeout ?? scenario.watchdogs.step))
        } catch let error as QMPError {
            guard case .refused = error else { throw error }
            throw ScreenFailure(description: "\(what): \(error)")
        } catch let error as Interrupted {
            throw error
        } catch {
            throw ScreenFailure(description: "\(what): \(error)")
        }
        let now = MonotonicInstant.now
        let changed = screen.note(image, at: now.seconds(since: machine.startedAt))
        monitor?.observeScreen(changed: changed, at: now)
        return image
    }

    /// The display watch's screenshot, when one is due (called on every wake-up of a wait).
    func sampleScreenIfDue() throws {
        guard let monitor, let due = monitor.nextScreenSample(), MonotonicInstant.now >= due else { return }
        _ = try takeScreenshot("the display watchdog could not take a screenshot")
    }

    /// Performs a `screen:` step; returns the verdict when its check failed.
    func perform(_ step: ScreenStep) throws -> Verdict? {
        switch step {
        case .save(let name):
            let image = try takeScreenshot("screenshot '\(name)' could not be taken")
            screen.save(image, as: name)
            writePNG(image, as: "screen-\(name).png")
            return nil
        case .check(let check):
            guard let failure = failure(of: check) else { return nil }
            return Verdict(.failed, .assertionFailed, "\(stepName): \(failure)")
        }
    }

    /// Why `check` does not hold, in its figures; nil when it holds.
    func failure(of check: ScreenCheck) -> String? {
        guard let shot = screen.saved[check.shot] else { return "no screenshot '\(check.shot)'" }
        let region = check.region ?? shot.bounds
        guard region.fits(width: shot.width, height: shot.height) else {
            return "region \(region) does not fit screenshot '\(check.shot)' (\(shot.width)x\(shot.height))"
        }
        let other: ScreenImage
        let against: String
        switch check.kind {
        case .changed(let name), .unchanged(let name):
            guard let image = screen.saved[name] else { return "no screenshot '\(name)'" }
            guard image.width == shot.width, image.height == shot.height else {
                return
                    "screenshots '\(check.shot)' (\(shot.width)x\(shot.height)) and '\(name)' (\(image.width)x\(image.height)) differ in size"
            }
            other = image
            against = "'\(name)'"
        case .reference(let path, let written):
            do {
                other = try PNGCodec.decode(try Self.readReference(path))
            } catch {
                return "reference \(written): \(error)"
            }
            against = "reference \(written)"
            let size = (other.width, other.height)
            if size != (shot.width, shot.height) && size != (region.width, region.height) {
                return
                    "reference \(written) is \(other.width)x\(other.height): neither the region's size (\(region.width)x\(region.height)) nor the screenshot's (\(shot.width)x\(shot.height))"
            }
        }
        guard
            let difference = RegionComparison.difference(
                shot, other, region: region, channelTolerance: check.channelTolerance)
        else { return "region \(region) of '\(check.shot)' cannot be compared with \(against)" }
        let allowed = RegionDifference.format(check.pixelPercent)
        let figures = "\(difference.summary), largest channel difference \(difference.largest)"
        let subject = "region \(region) of '\(check.shot)' vs \(against)"
        if case .changed = check.kind {
            guard difference.percent <= check.pixelPercent else { return nil }
            return "\(subject) did not change: \(figures) (needed more than \(allowed) %)"
        }
        guard difference.percent > check.pixelPercent else { return nil }
        return "\(subject): \(figures) (allowed \(allowed) %)"
    }

    /// A reference image's bytes: a regular file (not followed through a link put there after
    /// the scenario was checked), at most 64 MiB.
    static func readReference(_ path: String) throws -> [UInt8] {
        do {
            return try RegularFile.read(path, limit: 64 << 20)
        } catch let refusal as RegularFile.Refusal {
            throw ScreenFailure(description: refusal.description)
        }
    }

    /// Writes `image` as the artifact `name` (PNG), noting a failure instead of hiding it.
    func writePNG(_ image: ScreenImage, as name: String) {
        do {
            try Data(try PNGCodec.encode(image)).write(to: URL(fileURLWithPath: "\(artifactsPath)/\(name)"))
            screenArtifacts.append(name)
        } catch {
            artifactProblems.append("\(name): \(fileErrorText(error))")
        }
    }

    /// A failed run: a screenshot of the moment (while QEMU still runs) and the last different
    /// pictures before it go to the artifacts; returns the verdict's line naming them.
    func keepRecentScreens() -> String? {
        // Noted only where screenshots worked before (not for a machine without a display).
        if let machine, machine.isRunning, (try? takeScreenshot("at the failure", timeout: 5)) == nil, screen.count > 0 {
            artifactProblems.append("the screenshot at the failure could not be taken")
        }
        let recent = screen.recent
        guard !recent.isEmpty else { return nil }
        var names: [String] = []
        for (index, seen) in recent.reversed().enumerated() {
            let name = "screen-recent-\(index + 1).png"
            writePNG(seen.image, as: name)
            names.append(
                "\(name) (\(seen.first.fixed3) s to \(seen.last.fixed3) s after launch, \(seen.screenshots) screenshot\(seen.screenshots == 1 ? "" : "s"))"
            )
        }
        return "the screen before the end, latest first: " + names.joined(separator: ", ")
    }

    /// What the display watchdog saw, for its verdict: the screen's last change against the
    /// serial line's last output, since a frozen display is often one with a chatty console.
    func displayFacts() -> String? {
        guard let monitor, let machine, let display = scenario.watchdogs.display else { return nil }
        let changed = monitor.screenChangedAt ?? monitor.displayArmedAt
        let sinceChange = changed.map { MonotonicInstant.now.seconds(since: $0).fixed3 } ?? "?"
        let sinceSerial = MonotonicInstant.now.seconds(since: machine.serial.lastOutput).fixed3
        return
            "display: the screen stayed the same for \(sinceChange) s (limit \(display.within) s) over \(monitor.unchangedSamples) screenshots, \(screen.count) taken in all; the serial line's last output was \(sinceSerial) s ago"
    }
}

/// A screenshot that could not be taken or read.
struct ScreenFailure: Error, CustomStringConvertible {
    let description: String
}
