// Reading the kernel's globals by name: a symbol's address and size from the image, its bytes
// from guest memory, decoded as little-endian 64-bit words (integers, atomics, arrays of them).
import GDBRemote
import KernelSymbols

public struct KernelVariables {
    public let symbols: SymbolMap
    public let client: GDBClient

    public init(symbols: SymbolMap, client: GDBClient) {
        self.symbols = symbols
        self.client = client
    }

    /// The variable's 64-bit words (one for an Int or an Atomic, N for an InlineArray<N, UInt64>).
    public func words(_ name: String) throws -> [UInt64] {
        guard let symbol = symbols.lookup(name) else { throw KernelVariableError.unknownSymbol(name) }
        let size = max(8, Int(symbol.size))
        return words(in: try client.readMemory(symbol.address, count: size))
    }

    public func words(at address: UInt64, count: Int) throws -> [UInt64] {
        words(in: try client.readMemory(address, count: count * 8))
    }

    private func words(in bytes: [UInt8]) -> [UInt64] {
        stride(from: 0, to: bytes.count - bytes.count % 8, by: 8).map { offset in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
    }
}

public enum KernelVariableError: Error, CustomStringConvertible {
    case unknownSymbol(String)
    public var description: String {
        switch self {
        case .unknownSymbol(let name): return "the kernel image has no symbol \(name)"
        }
    }
}
