// Defence in depth, checked from the outside: a QEMU launched as runs launch it (QEMUSandbox)
// is sent, over the harness's own QMP connection, what the scenario rules refuse, as if a hole
// in the rules had let it through: a shell through `migrate exec:`, listeners on 0.0.0.0, host
// files opened, created, truncated or written. Nothing outside may change: a canary folder
// keeps its one file with the same contents and mtime, no file appears in /tmp, and no new
// listener appears in the host's network namespace.
import Foundation
import Glibc
import HostSystem
import QMP
import Testing

@testable import QEMUMachine

@Suite(.serialized, .timeLimit(.minutes(2))) struct SandboxContainmentTests {
    /// Listening TCP sockets of this (the host's) network namespace, as "local-address".
    private func hostListeners() -> Set<String> {
        var listening: Set<String> = []
        for table in ["tcp", "tcp6"] {
            let text = String(
                decoding: (try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/net/\(table)")).readToEnd()) ?? nil
                    ?? Data(), as: UTF8.self)
            for row in text.split(separator: "\n").dropFirst() {
                let fields = row.split(separator: " ")
                if fields.count > 3 && fields[3] == "0A" { listening.insert(table + " " + fields[1]) }
            }
        }
        return listening
    }

    private func snapshot(_ folder: String) -> [String: String] {
        var state: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = folder + "/" + name
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let contents = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? "?"
            state[name] = "\(contents) \(attributes?[.modificationDate] ?? "?") \(attributes?[.size] ?? "?")"
        }
        return state
    }

    @Test func aHoleInTheRulesStillLeavesTheHostUntouched() throws {
        let canary = FileManager.default.temporaryDirectory.appendingPathComponent(
            "canary-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        try FileManager.default.createDirectory(atPath: canary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: canary) }
        try "untouched\n".write(toFile: canary + "/canary", atomically: true, encoding: .utf8)
        let before = snapshot(canary)
        let listenersBefore = hostListeners()
        let pwned = "/tmp/hostile-pwned-\(getpid())"

        var profile = MachineProfile()
        profile.accelerator = .tcg
        profile.vcpus = 1
        profile.memoryMiB = 32
        // Each attempt in a fresh QEMU: seccomp kills one that tries to start a program, and the
        // attempts after it must meet a live one.
        func attempt(_ command: String, _ arguments: JSONValue) throws -> String {
            let machine = try QEMUMachine.launch(profile, reactor: Reactor(observesInterrupts: false), serialLog: nil)
            defer { machine.shutdown() }
            #expect(machine.appliedSandbox == .full, "\(machine.appliedSandbox)")
            #expect(machine.process.arguments.contains("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"))
            let outcome: String
            do {
                outcome = "accepted: \(try machine.qmp.execute(command, arguments: arguments))"
            } catch {
                outcome = "refused: \(error)"
            }
            // A closed connection means QEMU is going: wait for its exit to be reaped (under load
            // that can take a while), rather than a short look that would miss it.
            _ = try? machine.waitForExit(timeout: outcome.contains("QMP connection closed") ? 30 : 0.2)
            return outcome + (machine.isRunning ? "" : " (QEMU ended: \(machine.exitStatus.map { "\($0)" } ?? "?"))")
        }
        let hmp = { (line: String) in try attempt("human-monitor-command", ["command-line": .string(line)]) }
        var outcomes: [String: String] = [:]
        outcomes["migrate exec"] = try attempt("migrate", ["uri": .string("exec:touch \(pwned) \(canary)/pwned")])
        outcomes["hmp migrate exec"] = try hmp("migrate -d \"exec:touch \(pwned)\"")
        outcomes["nbd listener"] = try attempt(
            "nbd-server-start", ["addr": ["type": "inet", "data": ["host": "0.0.0.0", "port": "10809"]]])
        outcomes["hmp gdbserver"] = try hmp("gdbserver tcp:0.0.0.0:12345")
        outcomes["blockdev-add"] = try attempt(
            "blockdev-add", ["driver": "file", "node-name": "f", "filename": .string(canary + "/canary")])
        outcomes["memory-backend-file"] = try attempt(
            "object-add",
            [
                "qom-type": "memory-backend-file", "id": "m",
                "mem-path": .string(canary + "/mem"), "size": 4096,
            ])
        outcomes["dump-guest-memory"] = try attempt(
            "dump-guest-memory", ["paging": false, "protocol": .string("file:\(canary)/dump")])
        outcomes["pmemsave"] = try attempt("pmemsave", ["val": 0, "size": 4096, "filename": .string(canary + "/pmem")])
        outcomes["hmp logfile"] = try hmp("logfile \(canary)/log")
        outcomes["hmp drive_add"] = try hmp("drive_add 0 file=\(canary)/canary,if=none,id=d")

        #expect(snapshot(canary) == before, "the canary folder changed: \(outcomes)")
        #expect(!FileManager.default.fileExists(atPath: pwned), "a program ran: \(outcomes)")
        #expect(hostListeners().subtracting(listenersBefore).isEmpty, "a listener appeared on the host: \(outcomes)")
        // The file attempts failed for want of the file, not by luck: the canary is not in QEMU's view.
        #expect(outcomes["blockdev-add"]?.contains("No such file or directory") == true, "\(outcomes)")
        // The program attempts met seccomp: QEMU was ended rather than allowed to fork.
        #expect(outcomes["migrate exec"]?.contains("QEMU ended") == true, "\(outcomes)")
    }

    @Test func aProgramIsLookedUpOnlyInAbsolutePathEntries() throws {
        // A scenario folder on PATH as a relative entry ("." or "scenarios/x") must not supply QEMU.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-qemu-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        FileManager.default.createFile(
            atPath: folder + "/qemu-system-x86_64", contents: Data("#!/bin/sh\n".utf8),
            attributes: [.posixPermissions: 0o755])
        // "../" past the root stays at the root: this relative entry names the folder from any cwd.
        let relative = String(repeating: "../", count: 40) + String(folder.dropFirst())
        #expect(
            QEMUInstallation.locate("qemu-system-x86_64", searchPath: relative + ":/usr/bin") == "/usr/bin/qemu-system-x86_64")
        #expect(QEMUInstallation.locate("qemu-system-x86_64", searchPath: relative) == nil)
        #expect(QEMUInstallation.locate("qemu-system-x86_64", searchPath: folder) == folder + "/qemu-system-x86_64")
    }
}
