// What every fuzz target shares: the input as bytes, the ways an incremental parser is fed it,
// and how a broken invariant is reported (a crash, so libFuzzer keeps the input).

public struct FuzzInput {
    public let bytes: [UInt8]

    /// The buffer libFuzzer passes to `LLVMFuzzerTestOneInput`.
    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The same bytes cut three ways: whole, one byte at a time, and at cuts the input itself
    /// chooses (each byte's low bits are the next chunk's length), so the fuzzer explores cuts.
    public var chunkings: [[ArraySlice<UInt8>]] {
        [[bytes[...]], bytes.indices.map { bytes[$0...$0] }, selfChosenChunks]
    }

    /// What `parse` makes of the input, checked to be the same for every chunking.
    public func sameForEveryChunking<Output: Equatable>(_ parse: ([ArraySlice<UInt8>]) -> [Output]) -> [Output] {
        let results = chunkings.map(parse)
        for result in results.dropFirst() {
            require(result == results[0], "chunking changed the outputs: \(result) vs \(results[0])")
        }
        return results[0]
    }

    private var selfChosenChunks: [ArraySlice<UInt8>] {
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + 1 + Int(bytes[start] & 0x0f))
            chunks.append(bytes[start..<end])
            start = end
        }
        return chunks
    }
}

/// Stops the process when an invariant does not hold: libFuzzer records the input as a crash.
public func require(
    _ condition: @autoclosure () -> Bool, _ what: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { fatalError("invariant broken: \(what())", file: file, line: line) }
}
