// Inputs the GDB fuzz target (Tests/Fuzz/GDBFuzz) reaches: a stub that sends a packet without
// end, or with a run-length encoding that multiplies it, and one that states an absurd PacketSize.
import Foundation
import Glibc
import HostSystem
import Testing

@testable import GDBRemote

@Suite struct GDBFuzzFindingsTests {
    @Test func aPacketPastTheLimitIsRefusedNotBuffered() {
        let decoder = GDBPacketDecoder(maximumPacketBytes: 16)
        let stream = "$" + String(repeating: "a", count: 100) + "#00" + "$OK#9a"
        #expect(decoder.feed(Array(stream.utf8)) == [.overlong(limit: 16), .packet(Array("OK".utf8))])
    }

    @Test func aRunLengthPastTheLimitIsRefused() {
        // `a*~` is 1 + 97 bytes from 3: six of them decode to 588 bytes.
        let body = String(repeating: "a*~", count: 6)
        let decoder = GDBPacketDecoder(maximumPacketBytes: 256)
        // The checksum written out independently of the codec: the byte sum modulo 256, two hex digits.
        let checksum = body.utf8.reduce(0) { ($0 + Int($1)) % 256 }
        let framed = Array("$\(body)#".utf8) + Array(String(format: "%02x", checksum).utf8)
        #expect(decoder.feed(framed) == [.overlong(limit: 256)])
        #expect(GDBPacketCodec.decodeBody(Array(body.utf8)[...], limit: 256) == nil)
    }

    @Test func anOverlongPacketFailsTheSession() {
        var session = GDBSession()
        _ = session.request("g")
        #expect(session.receive(.overlong(limit: 16)) == [.failed("the stub sent a packet longer than 16 bytes")])
        #expect(session.isFailed)
    }

    @Test func aStubSendingWithoutEndFailsTheRequest() throws {
        let (ours, theirs) = try UnixSocket.pair()
        defer { close(theirs) }
        try writeAll(theirs, GDBClientReplayTests.qemuSide[1])
        let reactor = Reactor(observesInterrupts: false)
        let client = try GDBClient(fd: ours, reactor: reactor, timeout: 2)
        try writeAll(
            theirs,
            [UInt8(ascii: "+"), UInt8(ascii: "$")]
                + [UInt8](repeating: UInt8(ascii: "0"), count: GDBPacketDecoder.maximumPacketBytes + 1))
        #expect(
            throws: GDBError.connectionClosed("the stub sent a packet longer than \(GDBPacketDecoder.maximumPacketBytes) bytes")
        ) {
            try client.request("g", timeout: 5)
        }
    }

    @Test func anAbsurdPacketSizeIsKeptWithinLimits() throws {
        // PacketSize=-8000000000000000 is Int.min: sizing a memory read from it overflowed.
        let (ours, theirs) = try UnixSocket.pair()
        defer { close(theirs) }
        try writeAll(theirs, [UInt8(ascii: "+")] + GDBPacketCodec.encode("PacketSize=-8000000000000000;multiprocess+"))
        let reactor = Reactor(observesInterrupts: false)
        let client = try GDBClient(fd: ours, reactor: reactor, timeout: 2)
        #expect(client.packetSize == GDBFeatures.minimumPacketSize)
        try writeAll(theirs, [UInt8(ascii: "+")] + GDBPacketCodec.encode("0011223344556677"))
        #expect(try client.readMemory(0, count: 8) == [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77])
        #expect(GDBFeatures(qSupportedReply: "PacketSize=7fffffffffffffff").packetSize == GDBPacketDecoder.maximumPacketBytes)
        #expect(GDBFeatures(qSupportedReply: "multiprocess+").packetSize == GDBFeatures.defaultPacketSize)
    }
}
