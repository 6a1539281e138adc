// The client over a socket pair, the peer playing QEMU 7.2's side of a conversation recorded on
// this machine (gdb.log of a hang diagnosis): the unasked stop reply QEMU sends when a debugger
// connects arrives ahead of the qSupported reply and must not be taken for it.
import Glibc
import HostSystem
import Testing

@testable import GDBRemote

@Suite struct GDBClientReplayTests {
    /// QEMU's bytes, in order: each reply preceded by its ack of our packet.
    static let qemuSide = [
        "T02thread:01;", "PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+",
        "T05thread:p01.01;", "mp01.01", "mp01.02", "l", "E14",
    ]
    .map { [UInt8(ascii: "+")] + GDBPacketCodec.encode($0) }

    @Test func setsAsideTheConnectStopReplyAndAcksEveryPacket() throws {
        let (ours, theirs) = try UnixSocket.pair()
        defer { close(theirs) }
        // The first stop reply comes before QEMU has seen anything from us: no ack before it.
        var stream = Array(Self.qemuSide[0].dropFirst())
        for reply in Self.qemuSide.dropFirst() { stream += reply }
        try writeAll(theirs, stream)

        let reactor = Reactor(observesInterrupts: false)
        let client = try GDBClient(fd: ours, reactor: reactor, timeout: 2)
        #expect(client.features.contains("multiprocess+"))
        #expect(client.packetSize == 0x1000)
        #expect(try client.stopReason() == .signal(5, thread: GDBThreadID(process: 1, thread: 1), reason: nil))
        #expect(try client.threads() == [GDBThreadID(thread: 1), GDBThreadID(thread: 2)])
        #expect(throws: GDBError.refused(request: "m0,8", reply: "E14")) { try client.readMemory(0, count: 8) }

        var sent = [UInt8](repeating: 0, count: 4096)
        let count = read(theirs, &sent, sent.count)
        let text = String(decoding: sent.prefix(max(0, count)), as: UTF8.self)
        // Every packet from QEMU acked once (here all at once: QEMU's side was written ahead).
        let requests = [
            "qSupported:multiprocess+;swbreak+;hwbreak+", "?", "qfThreadInfo", "qsThreadInfo", "qsThreadInfo", "m0,8",
        ]
        var rest = Substring(text)
        var acks = 0
        for request in requests.map({ String(decoding: GDBPacketCodec.encode($0), as: UTF8.self) }) {
            acks += rest.prefix(while: { $0 == "+" }).count
            rest = rest.drop(while: { $0 == "+" })
            #expect(rest.hasPrefix(request), "\(text)")
            rest = rest.dropFirst(request.count)
        }
        acks += rest.filter { $0 == "+" }.count
        #expect(acks == Self.qemuSide.count, "\(text)")
    }

    @Test func aClosedConnectionFailsTheWaitingRequest() throws {
        let (ours, theirs) = try UnixSocket.pair()
        try writeAll(theirs, Self.qemuSide[1])
        let reactor = Reactor(observesInterrupts: false)
        let client = try GDBClient(fd: ours, reactor: reactor, timeout: 2)
        close(theirs)
        #expect(throws: GDBError.self) { try client.request("g", timeout: 2) }
    }

    /// The stub goes away in the middle of a reply (as when QEMU dies during a diagnosis): the
    /// waiting request fails at once, the half packet is never taken for a reply.
    @Test(arguments: ["$T05thread:01;core:0", "$T05thread:01;core:0#", "$m01020304#2"])
    func aDisconnectMidPacketFailsTheRequestWithoutHanging(partial: String) throws {
        let (ours, theirs) = try UnixSocket.pair()
        try writeAll(theirs, Self.qemuSide[1])
        let reactor = Reactor(observesInterrupts: false)
        let client = try GDBClient(fd: ours, reactor: reactor, timeout: 2)
        try writeAll(theirs, [UInt8(ascii: "+")] + Array(partial.utf8))
        close(theirs)
        let started = MonotonicInstant.now
        #expect(throws: GDBError.self) { try client.request("?", timeout: 10) }
        #expect(MonotonicInstant.now.seconds(since: started) < 1, "the end of the stream ends the wait")
    }
}
