// The framing and ack state machine without sockets; packets as QEMU 7.2 sent them on this
// machine (recorded with gdb's `set debug remote 1`).
import Testing

@testable import GDBRemote

@Suite struct GDBPacketCodecTests {
    @Test func encodesWithChecksum() {
        // Checksums as gdb sent them to QEMU on this machine.
        #expect(String(decoding: GDBPacketCodec.encode("qfThreadInfo"), as: UTF8.self) == "$qfThreadInfo#bb")
        #expect(String(decoding: GDBPacketCodec.encode("?"), as: UTF8.self) == "$?#3f")
        #expect(String(decoding: GDBPacketCodec.encode("Hgp0.0"), as: UTF8.self) == "$Hgp0.0#ad")
    }

    @Test func escapesReservedBytes() {
        let framed = GDBPacketCodec.encode([
            UInt8(ascii: "a"), UInt8(ascii: "#"), UInt8(ascii: "}"), UInt8(ascii: "$"), UInt8(ascii: "*"),
        ])
        #expect(String(decoding: framed.prefix(10), as: UTF8.self) == "$a}\u{03}}]}\u{04}}\n")
        let decoder = GDBPacketDecoder()
        #expect(decoder.feed(framed) == [.packet(Array("a#}$*".utf8))])
    }

    @Test func decodesRunLength() {
        // "0* " is '0' and 3 more ('  ' is 32, 32 - 29 = 3).
        #expect(GDBPacketCodec.decodeBody(Array("0* 1".utf8)[...]) == Array("00001".utf8))
        let body = Array("00000000000000000000".utf8)
        let encoded = Array("0*1".utf8)  // '1' is 49: 20 more zeros
        #expect(GDBPacketCodec.decodeBody(encoded[...]) == body + [UInt8(ascii: "0")])
    }

    @Test func splitsAcksAndPacketsAcrossPieces() {
        let stream = Array("+$T05thread:p01.01;#06+$OK#9a".utf8)
        let decoder = GDBPacketDecoder()
        var outputs: [GDBPacketDecoder.Output] = []
        for byte in stream { outputs += decoder.feed([byte]) }
        #expect(outputs == [.ack, .packet(Array("T05thread:p01.01;".utf8)), .ack, .packet(Array("OK".utf8))])
    }

    @Test func badChecksumIsCorrupt() {
        let decoder = GDBPacketDecoder()
        let outputs = decoder.feed(Array("$OK#00".utf8))
        #expect(outputs == [.corrupt(raw: Array("$OK#00".utf8))])
    }

    @Test func sessionAcksResendsAndGivesUp() {
        var session = GDBSession()
        let sent = session.request("g")
        #expect(sent == [.send(Array("$g#67".utf8))])
        #expect(session.receive(.nak) == [.send(Array("$g#67".utf8))])
        #expect(session.receive(.ack) == [])
        #expect(session.receive(.nak) == [])  // nothing unacknowledged: ignore
        #expect(session.receive(.packet(Array("OK".utf8))) == [.send([UInt8(ascii: "+")]), .packet(Array("OK".utf8))])
        #expect(session.receive(.corrupt(raw: [])) == [.send([UInt8(ascii: "-")])])
        _ = session.request("?")
        for _ in 0..<GDBSession.maximumResends { _ = session.receive(.nak) }
        #expect(session.receive(.nak) == [.failed("the stub refused a packet 4 times")])
        #expect(session.isFailed)
        #expect(session.interrupt() == [.send([0x03])])
    }

    @Test func parsesStopRepliesAndThreadIDs() {
        #expect(StopReply("T02thread:p01.03;") == .signal(2, thread: GDBThreadID(process: 1, thread: 3), reason: nil))
        #expect(
            StopReply("T05thread:p01.01;swbreak:;") == .signal(5, thread: GDBThreadID(process: 1, thread: 1), reason: "swbreak"))
        #expect(StopReply("S05") == .signal(5, thread: nil, reason: nil))
        #expect(StopReply("W00") == .exited(0))
        #expect(StopReply("OK") == nil)
        #expect(GDBThreadID("p01.0a")?.cpuIndex == 9)
        #expect(GDBThreadID("p1.10")?.description == "p1.10")
    }

    @Test func parsesRegisterFile() {
        var bytes = [UInt8](repeating: 0, count: 560)
        func put(_ value: UInt64, _ at: Int, _ size: Int) {
            for i in 0..<size { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        put(0x1000, 6 * 8, 8)  // rbp
        put(0x2000, 7 * 8, 8)  // rsp
        put(0x101b03, 128, 8)  // rip
        put(0x202, 136, 4)  // eflags with IF
        put(0x159000, 204, 8)  // cr3
        put(0xd00, 228, 8)  // efer
        let registers = X86Registers(gReply: Hex.decode(Hex.encode(bytes))!)!
        #expect(registers.rip == 0x101b03 && registers.rbp == 0x1000 && registers.rsp == 0x2000)
        #expect(registers.interruptsEnabled)
        #expect(registers.cr3 == 0x159000 && registers.efer == 0xd00)
        #expect(X86Registers.number["cr3"] == 29 && X86Registers.number["efer"] == 32 && X86Registers.number["fs_base"] == 24)
        #expect(X86Registers(gReply: [1, 2, 3]) == nil)
    }
}
