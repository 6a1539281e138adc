// What the stub says it supports (its qSupported reply): feature names and the largest packet
// it accepts, which sizes our memory reads.

public struct GDBFeatures: Equatable {
    /// Every feature as listed, e.g. `multiprocess+`, `PacketSize=1000`.
    public let names: [String]
    /// Bytes per packet, from `PacketSize=` (hex), kept within what the decoder accepts; 4 KiB
    /// (QEMU's) when the stub does not say or says something unusable.
    public let packetSize: Int

    public static let defaultPacketSize = 0x1000
    /// Our requests need room for a command and an address; smaller sizes are taken as this.
    public static let minimumPacketSize = 64

    public init(qSupportedReply reply: String) {
        names = reply.split(separator: ";").map(String.init)
        let stated = names.first { $0.hasPrefix("PacketSize=") }
            .flatMap { Int($0.dropFirst("PacketSize=".count), radix: 16) }
        packetSize =
            stated.map { min(max($0, Self.minimumPacketSize), GDBPacketDecoder.maximumPacketBytes) }
            ?? Self.defaultPacketSize
    }
}
