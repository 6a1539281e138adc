// What QEMU is given to listen on, checked from the outside (/proc): every socket of a VM is a
// UNIX socket inside its private 0700 directory, none is TCP or UDP, and none of the harness's
// own descriptors is inherited.
import Foundation
import Glibc
import HostSystem
import Testing

@testable import QEMUMachine

@Suite(.serialized, .timeLimit(.minutes(2))) struct SocketIsolationTests {
    /// Inodes of the sockets process `pid` holds open.
    private func socketInodes(of pid: pid_t) -> Set<String> {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return Set(
            fds.compactMap { fd in
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                    target.hasPrefix("socket:[")
                else { return nil }
                return String(target.dropFirst("socket:[".count).dropLast())
            })
    }

    /// Rows of a /proc/net table (of `pid`'s network namespace) whose inode column is in `inodes`.
    /// A table that cannot be read fails the test (it would read as "no sockets"); only the IPv6
    /// ones may be absent, on a kernel without IPv6, where no such socket can exist.
    private func rows(_ table: String, of pid: pid_t, inodes: Set<String>, inodeColumn: Int) throws -> [[Substring]] {
        let path = "/proc/\(pid)/net/\(table)"
        if table.hasSuffix("6") && !FileManager.default.fileExists(atPath: path) { return [] }
        // Read to the end: procfs files report size 0, and a one-page read would cut the table.
        let data = try #require(try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd(), "\(path) is empty")
        let text = String(decoding: data, as: UTF8.self)
        try #require(
            text.hasPrefix("Num") || text.contains("local_address"), "a /proc/net table header: \(path): \(text.prefix(80))")
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: " ") }
            .filter { $0.count > inodeColumn && inodes.contains(String($0[inodeColumn])) }
    }

    @Test func everySocketIsUNIXInThePrivateDirectory() throws {
        var profile = MachineProfile()
        profile.accelerator = .tcg
        profile.vcpus = 1
        profile.memoryMiB = 32
        profile.gdbStub = true
        profile.humanMonitor = true
        // A TCP listener of the harness's own process, inheritable (no close-on-exec), as a
        // careless library might leave one: it must not reach QEMU.
        let stray = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(stray) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(stray, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(listen(stray, 1) == 0)

        let reactor = Reactor(observesInterrupts: false)
        let machine = try QEMUMachine.launch(profile, reactor: reactor, serialLog: nil)
        defer { machine.shutdown() }
        let directory = String(machine.sockets.qmp.dropLast("/qmp.sock".count))
        var info = stat()
        #expect(stat(directory, &info) == 0 && info.st_mode & 0o777 == 0o700)

        // The QEMU process itself (inside bubblewrap: QEMUSandbox), in its own network namespace.
        let qemu = try #require(machine.qemuProcessID)
        #expect(machine.appliedSandbox == .full, "\(machine.appliedSandbox)")
        let namespace = { (pid: String) in try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net") }
        #expect(namespace("\(qemu)") != namespace("self"), "QEMU has a network namespace of its own")
        let inodes = socketInodes(of: qemu)
        // stderr (a socket pair), serial and QMP (connected), gdbstub and monitor (listening).
        #expect(inodes.count == 5, "nothing inherited: \(inodes)")
        for table in ["tcp", "tcp6", "udp", "udp6", "raw", "raw6"] {
            #expect(try rows(table, of: qemu, inodes: inodes, inodeColumn: 9).isEmpty, "QEMU holds a \(table) socket")
        }
        // /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path"; listeners have a path.
        let unix = try rows("unix", of: qemu, inodes: inodes, inodeColumn: 6)
        let paths = unix.compactMap { $0.count > 7 ? String($0[7]) : nil }
        #expect(paths.contains(machine.sockets.gdb ?? "?") && paths.contains(machine.sockets.humanMonitor ?? "?"), "\(paths)")
        #expect(paths.allSatisfy { $0.hasPrefix(directory + "/") }, "\(paths)")
        // And the command line names no TCP endpoint at all.
        let arguments = machine.process.arguments.joined(separator: " ")
        #expect(!arguments.contains("tcp") && !arguments.contains("host=") && !arguments.contains("port="), "\(arguments)")
    }
}
