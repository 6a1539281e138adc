import HostSystem
import Testing

@testable import QMP

/// The client over a real socket, QEMU's side replayed from recorded transcripts.
@Suite(.timeLimit(.minutes(1))) struct QMPClientReplayTests {
    /// A client on one end of a socket pair, the recorded QEMU on the other.
    private func replay(_ fixture: String, chunking: Chunking) throws -> (QMPClient, ReplayPeer) {
        let (clientFD, peerFD) = try UnixSocket.pair()
        let peer = ReplayPeer(try TranscriptFixture(fixture), chunking: chunking, fd: peerFD)
        return (QMPClient(fd: clientFD, reactor: Reactor(observesInterrupts: false)), peer)
    }

    @Test(arguments: Chunking.allCases)
    func recordedSessionReplaysThroughTheClient(chunking: Chunking) throws {
        let (client, peer) = try replay("session", chunking: chunking)
        let reactor = client.reactor
        try client.waitUntilReady(timeout: 10)
        #expect(client.greeting?.version == "7.2.22")

        #expect(try client.execute("query-status")["status"] == "prelaunch")
        #expect(
            throws: QMPError.refused(
                command: "no-such-command", errorClass: "CommandNotFound",
                description: "The command no-such-command has not been found")
        ) {
            try client.execute("no-such-command")
        }
        _ = try client.execute("cont")
        #expect(try client.waitForEvent("RESUME", timeout: 5).name == "RESUME")
        _ = try client.execute("stop")
        _ = try client.execute("system_reset")
        let reset = try client.waitForEvent("RESET", data: ["reason": "host-qmp-system-reset"], timeout: 5)
        #expect(reset.data["guest"] == false)
        // Every event is kept in arrival order, whatever the waits consumed.
        #expect(client.events.map(\.name) == ["RESUME", "STOP", "RESET"])
        _ = try client.execute("query-status")
        _ = try client.execute("quit")
        #expect(try client.waitForEvent("SHUTDOWN", data: ["reason": "host-qmp-quit"], timeout: 5).data["guest"] == false)
        // QEMU then hangs up: a later command fails as a dropped connection, not a refusal.
        try reactor.run(until: { client.closedReason != nil }, deadline: { .now.adding(seconds: 5) })
        #expect(throws: QMPError.connectionClosed("QEMU closed the monitor socket")) {
            try client.execute("query-status")
        }
        peer.waitUntilFinished()
        #expect(peer.mismatches.isEmpty)
        #expect(client.transcript.entries.filter { $0.direction == .sent }.count == 8)
    }

    @Test func killedQEMUFailsTheCommandInFlightAsDropped() throws {
        let (client, peer) = try replay("killed", chunking: .asRecorded)
        try client.waitUntilReady()
        _ = try client.execute("cont")
        do {
            _ = try client.execute("query-status", timeout: 10)
            Issue.record("query-status should have failed")
        } catch let error as QMPError {
            guard case .connectionClosed = error else {
                Issue.record("expected connectionClosed, got \(error)")
                return
            }
        }
        peer.waitUntilFinished()
    }

    @Test func endOfStreamMidMessageFailsTheCommandAsDropped() throws {
        // QEMU's side stops 20 bytes into its reply to query-status (id 2), then hangs up.
        let fixture = try TranscriptFixture("session")
        let upToReply = fixture.entries.prefix(4).filter(\.fromQEMU).map(\.text.utf8.count).reduce(0, +)
        let (clientFD, peerFD) = try UnixSocket.pair()
        let peer = ReplayPeer(fixture, chunking: .asRecorded, fd: peerFD, cutAfter: upToReply + 20)
        let client = QMPClient(fd: clientFD, reactor: Reactor(observesInterrupts: false))
        try client.waitUntilReady()
        #expect(throws: QMPError.connectionClosed("QEMU closed the monitor socket in the middle of a message")) {
            try client.execute("query-status")
        }
        #expect(client.transcript.entries.last?.text == "QEMU closed the monitor socket in the middle of a message")
        peer.waitUntilFinished()
    }

    @Test func idLessErrorFromQEMUIsAProtocolViolation() throws {
        let (client, peer) = try replay("unparsable", chunking: .asRecorded)
        try client.waitUntilReady()
        do {
            _ = try client.execute("query-status")
            Issue.record("expected a failure")
        } catch QMPError.protocolViolation(let why) {
            #expect(why.contains("JSON parse error"))
        }
        client.close()
        peer.waitUntilFinished()
    }

    @Test func commandWithNoAnswerTimesOut() throws {
        let (client, peer) = try replay("session", chunking: .asRecorded)
        try client.waitUntilReady()
        // The replayed peer answers query-status; an event that never comes times out.
        _ = try client.execute("query-status")
        #expect(throws: QMPError.timedOut("GUEST_PANICKED event", seconds: 0.2)) {
            try client.waitForEvent("GUEST_PANICKED", timeout: 0.2)
        }
        client.close()
        peer.waitUntilFinished()
    }
}
