import Testing

@testable import QMP

/// The session state machine driven with real messages from the recorded transcripts.
@Suite struct QMPSessionTests {
    private func message(_ text: String) -> QMPFramer.Output {
        .message(JSONCodec.parse(text)!, raw: text)
    }

    private let greeting =
        #"{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}"#

    @Test func greetingStartsNegotiationAndQueuedCommandsGoOutWhenReady() {
        var session = QMPSession()
        let (id, early) = session.execute("query-status")
        #expect(early.isEmpty, "nothing may be sent before negotiation")
        let afterGreeting = session.receive(message(greeting))
        #expect(afterGreeting == [.send("{\"execute\":\"qmp_capabilities\",\"id\":2}\n")])
        #expect(session.state == .negotiating)
        #expect(session.greeting?.version == "7.2.22")
        let ready = session.receive(message(#"{"return": {}, "id": 2}"#))
        #expect(session.state == .ready)
        #expect(ready.count == 2)
        #expect(ready.last == .send("{\"execute\":\"query-status\",\"id\":\(id)}\n"))
    }

    @Test func eventsBeforeTheCapabilitiesReplyAreDelivered() {
        var session = QMPSession()
        _ = session.receive(message(greeting))
        let actions = session.receive(message(#"{"timestamp": {"seconds": 1, "microseconds": 5}, "event": "RESUME"}"#))
        #expect(actions == [.event(QMPEvent(name: "RESUME", timestamp: 1.000005))])
        #expect(session.state == .negotiating)
    }

    @Test func refusedCommandIsNotAConnectionError() {
        var session = readySession()
        let (id, _) = session.execute("no-such-command")
        let actions = session.receive(
            message(
                #"{"id": \#(id), "error": {"class": "CommandNotFound", "desc": "The command no-such-command has not been found"}}"#
            ))
        #expect(
            actions == [
                .reply(
                    id: id,
                    .failure(
                        .refused(
                            command: "no-such-command", errorClass: "CommandNotFound",
                            description: "The command no-such-command has not been found")))
            ])
        #expect(session.state == .ready)
    }

    @Test func droppedConnectionFailsEveryWaitingCommand() {
        var session = readySession()
        let (a, _) = session.execute("query-status")
        let (b, _) = session.execute("stop")
        let actions = session.connectionClosed("QEMU closed the monitor socket")
        #expect(
            actions == [
                .reply(id: a, .failure(.connectionClosed("QEMU closed the monitor socket"))),
                .reply(id: b, .failure(.connectionClosed("QEMU closed the monitor socket"))),
            ])
        let (c, late) = session.execute("cont")
        #expect(late == [.reply(id: c, .failure(.connectionClosed("QEMU closed the monitor socket")))])
    }

    @Test func errorWithoutIdMeansQEMUCouldNotParseUs() {
        var session = readySession()
        let (id, _) = session.execute("query-status")
        let actions = session.receive(
            message(#"{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}"#))
        guard case .reply(id, .failure(.protocolViolation(let why)))? = actions.first else {
            Issue.record("expected a protocol violation, got \(actions)")
            return
        }
        #expect(why.contains("could not parse"))
    }

    @Test func malformedInputClosesTheSession() {
        var session = readySession()
        let (id, _) = session.execute("query-status")
        let actions = session.receive(.malformed(reason: "unexpected character", raw: "{x"))
        #expect(actions.count == 1)
        if case .reply(id, .failure(.protocolViolation))? = actions.first {
        } else {
            Issue.record("expected a protocol violation, got \(actions)")
        }
    }

    @Test func lateReplyToAnAbandonedCommandIsDropped() {
        var session = readySession()
        let (id, _) = session.execute("query-status")
        session.abandon(id)
        #expect(session.receive(message(#"{"return": {}, "id": \#(id)}"#)).isEmpty)
        #expect(session.state == .ready)
    }

    private func readySession() -> QMPSession {
        var session = QMPSession()
        _ = session.receive(message(greeting))
        _ = session.receive(message(#"{"return": {}, "id": 1}"#))
        return session
    }
}
