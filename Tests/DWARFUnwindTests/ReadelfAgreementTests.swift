// The CFI parser and the CFA program against binutils' view of the same bytes: every FDE of the
// unwind test guest's .eh_frame and .debug_frame (read with the project's ELF reader) has the
// address range and the unwind rows `readelf --debug-dump=frames-interp` prints for it.
import DWARFUnwind
import Foundation
import KernelSymbols
import TestSupport
import Testing

@Suite struct ReadelfAgreementTests {
    @Test(arguments: [(UnwindGuest.ehFrame, ".eh_frame"), (UnwindGuest.debugFrame, ".debug_frame")])
    func rowsMatchReadelf(guest: UnwindGuest, section: String) throws {
        let elf = try guest.build().elf
        let image = try ELFImage(path: elf)
        let contents = try #require(image.callFrameSections.first { $0.name == section }, "\(elf) has no \(section)")
        let table = try CallFrameTable(sectionName: section, address: contents.address, bytes: contents.bytes)
        let dump = try Tool.run(["readelf", "--debug-dump=frames-interp", elf])
        #expect(dump.status == 0, "\(dump.errors)")
        let theirs = ReadelfFrames(dump.output, section: section)
        #expect(theirs.fdes.count == table.fdes.count)
        #expect(theirs.fdes.count >= 6, "a CIE-less guest?")
        var rowsCompared = 0
        for fde in theirs.fdes {
            let ours = try #require(table.fdes.first { $0.offset == fde.offset }, "no FDE at 0x\(String(fde.offset, radix: 16))")
            #expect(ours.pcRange == fde.pcRange)
            let cie = try #require(table.cie(of: ours))
            #expect(cie.offset == fde.cieOffset)
            // readelf prints no rows for an FDE without instructions: its one row is the CIE's.
            let expected = fde.rows.isEmpty ? [theirs.cieRows[fde.cieOffset]?.first ?? []] : fde.rows.map { $0 }
            let rows = try table.rows(of: ours)
            #expect(rows.count == expected.count, "FDE 0x\(String(fde.offset, radix: 16))")
            for (row, line) in zip(rows, expected) {
                let columns = theirs.columns[fde.offset] ?? theirs.columns[fde.cieOffset] ?? []
                let text = ReadelfFrames.render(row, columns: columns, isCIERow: fde.rows.isEmpty)
                #expect(text == line, "FDE 0x\(String(fde.offset, radix: 16))")
                rowsCompared += 1
            }
        }
        #expect(rowsCompared >= 10)
    }

    /// Our kernel discards .eh_frame at link time and keeps frame pointers: its walk stays by
    /// frame pointers (and must stay right).
    @Test func ourKernelHasNoCallFrameSections() throws {
        let kernel = UnwindGuest.repository.appendingPathComponent("build/kernel/kernel.elf").path
        let image = try ELFImage(path: kernel)
        #expect(image.callFrameSections.isEmpty)
        #expect(!image.executableRanges.isEmpty)
    }
}

/// `readelf --debug-dump=frames-interp`'s text for one section: the FDEs with their rows, and
/// the columns each table prints.
struct ReadelfFrames {
    struct FDE {
        var offset: Int
        var cieOffset: Int
        var pcRange: Range<UInt64>
        /// Each row as readelf prints it, split into fields: LOC, CFA, then the columns.
        var rows: [[String]] = []
    }
    var fdes: [FDE] = []
    var cieRows: [Int: [[String]]] = [:]
    /// The register columns (readelf's names) of each entry's table, by entry offset.
    var columns: [Int: [String]] = [:]

    init(_ text: String, section: String) {
        var inSection = false
        var current: Int?
        var isFDE = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Contents of the ") {
                inSection = line.contains("\(section) section")
                continue
            }
            guard inSection else { continue }
            let fields = line.split(separator: " ").map(String.init)
            if fields.count >= 4, fields[3] == "FDE", let offset = Int(fields[0], radix: 16),
                let cie = fields.first(where: { $0.hasPrefix("cie=") }), let pc = fields.first(where: { $0.hasPrefix("pc=") })
            {
                let bounds = pc.dropFirst(3).components(separatedBy: "..").compactMap { UInt64($0, radix: 16) }
                fdes.append(
                    FDE(offset: offset, cieOffset: Int(cie.dropFirst(4), radix: 16) ?? -1, pcRange: bounds[0]..<bounds[1]))
                current = offset
                isFDE = true
            } else if fields.count >= 4, fields[3] == "CIE", let offset = Int(fields[0], radix: 16) {
                current = offset
                isFDE = false
            } else if fields.first == "LOC", let current {
                columns[current] = Array(fields.dropFirst(2))
            } else if fields.count >= 2, fields[0].count == 16, UInt64(fields[0], radix: 16) != nil, let current {
                if isFDE { fdes[fdes.count - 1].rows.append(fields) } else { cieRows[current, default: []].append(fields) }
            } else if fields.isEmpty {
                continue
            }
        }
    }

    /// Our row in readelf's fields: LOC (0 for a CIE's row), `rsp+8`, then `u`, `s`, `c-16`, `v+8`, `r3`, `exp`.
    static func render(_ row: UnwindRow, columns: [String], isCIERow: Bool) -> [String] {
        var fields = [isCIERow ? String(repeating: "0", count: 16) : hexWord(row.location)]
        switch row.cfa {
        case .registerOffset(let register, let offset):
            fields.append("\(DWARFRegister.name(register))\(offset < 0 ? "" : "+")\(offset)")
        case .expression: fields.append("exp")
        }
        for column in columns {
            let number = column == "ra" ? DWARFRegister.returnAddress : DWARFRegister.names.firstIndex(of: column) ?? -1
            switch row.registers[number] {
            case nil, .undefined: fields.append("u")
            case .sameValue: fields.append("s")
            case .offset(let offset): fields.append("c\(offset < 0 ? "" : "+")\(offset)")
            case .valueOffset(let offset): fields.append("v\(offset < 0 ? "" : "+")\(offset)")
            case .register(let other): fields.append(DWARFRegister.name(other))
            case .expression: fields.append("exp")
            case .valueExpression: fields.append("vexp")
            }
        }
        return fields
    }

    static func hexWord(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}
