// The parts of the CFI format the test guests' compilers do not emit: augmentation "zPLRS"
// with a udata4 FDE encoding, a pc-relative sdata4 one ("zR"), remember/restore state, same
// value, CFA and register expressions; and one unwind step through them.
import DWARFUnwind
import Testing

@Suite struct CFAProgramTests {
    /// A section at `sectionAddress` built entry by entry, each padded to 4 bytes with nops.
    struct Section {
        var bytes: [UInt8] = []
        mutating func entry(_ body: [UInt8]) -> Int {
            let offset = bytes.count
            var padded = body
            while (padded.count + 4) % 4 != 0 { padded.append(0) }
            bytes += le(UInt64(padded.count), 4) + padded
            return offset
        }
    }

    static func le(_ value: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    static let sectionAddress: UInt64 = 0x40_2000

    /// CIE 1 "zPLRS" (udata4 addresses), its FDE over 0x401000..0x401040 with the program below;
    /// CIE 2 "zR" (pcrel sdata4), its FDE over 0x401100..0x401110 with no instructions.
    static func table() throws -> CallFrameTable {
        var section = Section()
        let cie1 = section.entry(
            le(0, 4) + [1] + Array("zPLRS".utf8) + [0] + [1, 0x78, 16]
                + [7, 0x9b] + le(0x1234, 4) + [0x1b, 0x03]
                + [0x0c, 7, 8, 0x90, 1])
        let fde1Start = section.bytes.count
        var program: [UInt8] = []
        program += [0x41, 0x0e, 16, 0x86, 2]  // +1: CFA rsp+16, rbp at CFA-16
        program += [0x0a]  // remember
        program += [0x44, 0x0d, 6, 0x08, 3]  // +4: CFA rbp+16, rbx same value
        program += [0x02, 0x10]  // +16
        program += [0x0b]  // restore: CFA rsp+16, rbx without a rule
        program += [0x42, 0x0f, 2, 0x77, 0x08]  // +2: CFA is an expression (DW_OP_breg7 8)
        program += [0x41, 0x0c, 7, 8, 0x10, 3, 1, 0x30]  // +1: CFA rsp+8, rbx by expression
        _ = section.entry(le(UInt64(fde1Start + 4 - cie1), 4) + le(0x40_1000, 4) + le(0x40, 4) + [4] + le(0, 4) + program)
        let cie2 = section.entry(le(0, 4) + [1] + Array("zR".utf8) + [0] + [1, 0x78, 16] + [1, 0x1b] + [0x0c, 7, 8, 0x90, 1])
        let fde2Start = section.bytes.count
        // pc begin is relative to the field itself: section address + fde2Start + 8.
        let field = sectionAddress + UInt64(fde2Start + 8)
        let delta = Int64(0x40_1100) - Int64(field)
        _ = section.entry(le(UInt64(fde2Start + 4 - cie2), 4) + le(UInt64(bitPattern: delta), 4) + le(0x10, 4) + [0])
        section.bytes += le(0, 4)  // terminator
        return try CallFrameTable(sectionName: ".eh_frame", address: sectionAddress, bytes: section.bytes)
    }

    @Test func parsesBothEncodingsAndAugmentations() throws {
        let table = try Self.table()
        #expect(table.fdes.map(\.pcRange) == [0x40_1000..<0x40_1040, 0x40_1100..<0x40_1110])
        let first = try #require(table.entry(for: 0x40_1020))
        let cie = try #require(table.cie(of: first))
        #expect(cie.augmentation == "zPLRS")
        #expect(cie.isSignalFrame)
        #expect(cie.pointerEncoding == 0x03)
        #expect(table.entry(for: 0x40_1040) == nil)
        #expect(table.entry(for: 0x40_110f)?.pcRange.lowerBound == 0x40_1100)
        #expect(table.cie(of: try #require(table.entry(for: 0x40_1100)))?.isSignalFrame == false)
    }

    @Test func runsTheProgramRowByRow() throws {
        let table = try Self.table()
        let fde = try #require(table.entry(for: 0x40_1000))
        let rows = try table.rows(of: fde)
        let ra = DWARFRegister.returnAddress
        #expect(
            rows == [
                UnwindRow(location: 0x40_1000, cfa: .registerOffset(register: 7, offset: 8), registers: [ra: .offset(-8)]),
                UnwindRow(
                    location: 0x40_1001, cfa: .registerOffset(register: 7, offset: 16),
                    registers: [ra: .offset(-8), 6: .offset(-16)]),
                UnwindRow(
                    location: 0x40_1005, cfa: .registerOffset(register: 6, offset: 16),
                    registers: [ra: .offset(-8), 6: .offset(-16), 3: .sameValue]),
                UnwindRow(
                    location: 0x40_1015, cfa: .registerOffset(register: 7, offset: 16),
                    registers: [ra: .offset(-8), 6: .offset(-16)]),
                UnwindRow(location: 0x40_1017, cfa: .expression, registers: [ra: .offset(-8), 6: .offset(-16)]),
                UnwindRow(
                    location: 0x40_1018, cfa: .registerOffset(register: 7, offset: 8),
                    registers: [ra: .offset(-8), 6: .offset(-16), 3: .expression]),
            ])
        #expect(try table.row(at: 0x40_1010, in: fde) == rows[2])
        #expect(try table.row(at: 0x40_103f, in: fde) == rows[5])
    }

    @Test func unwindsOneStepAndRefusesExpressions() throws {
        let table = try Self.table()
        let memory: [UInt64: UInt64] = [0x8000: 0x9000, 0x8008: 0x40_1100 + 4]
        let read: (UInt64) throws -> UInt64 = { address in
            guard let word = memory[address] else { throw CallFrameError("unmapped 0x\(String(address, radix: 16))") }
            return word
        }
        // At 0x401005 the CFA is rbp+16; rbp and the return address are saved below it.
        let step = try table.unwind([16: 0x40_1005, 7: 0x7ff0, 6: 0x8000, 3: 42, 0: 7], isCallerFrame: false, read: read)
        #expect(step.cfa == 0x8010)
        #expect(!step.isOutermost)
        #expect(step.registers == [7: 0x8010, 6: 0x9000, 3: 42, 16: 0x40_1104])
        // Caller-saved rax is not carried over: nothing says where it is.
        #expect(step.registers[0] == nil)
        // CIE 1 says "S": the caller's pc is where an interrupt stopped it, looked up as it is.
        #expect(step.callerPCIsExact)
        #expect(throws: CallFrameError("the CFA at 0x401017 is a DWARF expression (unsupported)")) {
            try table.unwind([16: 0x40_1017, 7: 0x7ff0, 6: 0x8000], isCallerFrame: false, read: read)
        }
        #expect(throws: CallFrameError("no CFI in .eh_frame for 0x401040")) {
            try table.unwind([16: 0x40_1041, 7: 0x7ff0], isCallerFrame: true, read: read)
        }
        #expect(throws: CallFrameError("the CFA at 0x401005 needs rbp, which is not known here")) {
            try table.unwind([16: 0x40_1005, 7: 0x7ff0], isCallerFrame: false, read: read)
        }
    }

    @Test func refusesATruncatedEntry() {
        #expect(throws: CallFrameError.self) {
            try CallFrameTable(sectionName: ".eh_frame", address: 0, bytes: [0x40, 0, 0, 0, 0, 0, 0, 0])
        }
    }
}
