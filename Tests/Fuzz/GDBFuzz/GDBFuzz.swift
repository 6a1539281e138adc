// libFuzzer target for the GDB remote protocol: bytes as a gdbstub might send them go through the
// packet decoder in several chunkings, the outputs through the ack/resend session, and each
// packet through the reply parsers (stop replies, thread lists, hex, registers, qSupported).
// Invariants: every chunking gives the same outputs; no packet is longer than the limit; a
// packet we encode decodes to itself; the session acks every good packet.
import FuzzSupport
import GDBRemote

/// Small, so inputs of a few kilobytes reach the over-long-packet paths.
private let limit = 256

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGDB(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzInput(data, size)
    let outputs = input.sameForEveryChunking { chunks -> [GDBPacketDecoder.Output] in
        let decoder = GDBPacketDecoder(maximumPacketBytes: limit)
        return chunks.flatMap { decoder.feed($0) }
    }
    for case .packet(let payload) in outputs {
        require(payload.count <= limit, "a packet of \(payload.count) bytes past the limit \(limit)")
        let again = GDBPacketDecoder(maximumPacketBytes: limit).feed(GDBPacketCodec.encode(payload))
        require(
            again == [.packet(payload)] || again == [.overlong(limit: limit)],
            "encoding \(payload) and decoding it gave \(again)")
        parseReply(String(decoding: payload, as: UTF8.self))
    }
    driveSession(outputs)
    return 0
}

/// Every parser the client applies to a reply, whatever the request was.
private func parseReply(_ text: String) {
    if let stop = StopReply(text), case .signal(_, let thread?, _) = stop {
        _ = thread.cpuIndex
        _ = thread.description
    }
    if text.hasPrefix("m") {
        for item in text.dropFirst().split(separator: ",") { _ = GDBThreadID(item)?.cpuIndex }
    }
    if let bytes = Hex.decode(text) {
        require(bytes.count * 2 == text.utf8.count, "\(bytes.count) bytes from \(text.utf8.count) hex digits")
        if let registers = X86Registers(gReply: bytes) {
            _ = (registers.rsp, registers.rbp, registers.interruptsEnabled)
        }
    }
    let features = GDBFeatures(qSupportedReply: text)
    require(
        (GDBFeatures.minimumPacketSize...GDBPacketDecoder.maximumPacketBytes).contains(features.packetSize),
        "packet size \(features.packetSize) from \(text)")
}

/// The session after one request: every good packet is acked first; a `-` resends at most
/// maximumResends times before the connection fails.
private func driveSession(_ outputs: [GDBPacketDecoder.Output]) {
    var session = GDBSession()
    let request = GDBPacketCodec.encode("qSupported:multiprocess+")
    require(session.request("qSupported:multiprocess+") == [.send(request)], "a request is sent as encoded")
    var resends = 0
    for output in outputs {
        let wasFailed = session.isFailed
        let actions = session.receive(output)
        switch output {
        case .packet(let payload):
            require(actions == [.send([UInt8(ascii: "+")]), .packet(payload)], "a good packet is acked and passed on")
        case .nak:
            if actions == [.send(request)] { resends += 1 }
            require(resends <= GDBSession.maximumResends, "resent \(resends) times")
        case .overlong:
            require(session.isFailed, "an over-long packet leaves the connection usable")
        case .ack, .corrupt:
            break
        }
        require(!wasFailed || session.isFailed, "a failed connection recovered")
    }
}
