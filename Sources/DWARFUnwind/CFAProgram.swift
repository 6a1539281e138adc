// The CFA program of a CIE and an FDE (DWARF 5, section 6.4.2), run to a given address to find
// the unwind row in force there. Expressions are recorded as such (the unwinder refuses them),
// never guessed at.

extension CallFrameTable {
    /// The row in force at `pc` within `fde`.
    public func row(at pc: UInt64, in fde: FrameDescriptionEntry) throws -> UnwindRow {
        var found: UnwindRow?
        try run(fde) { row, next in
            if row.location <= pc && pc < next { found = row }
            return next <= pc
        }
        guard let found else { throw CallFrameError("no row for 0x\(hex(pc)) in the FDE at 0x\(hex(UInt64(fde.offset)))") }
        return found
    }

    /// Every row of `fde`'s table, in address order (for tests against readelf's view).
    public func rows(of fde: FrameDescriptionEntry) throws -> [UnwindRow] {
        var rows: [UnwindRow] = []
        try run(fde) { row, _ in
            if let last = rows.last, last.location == row.location { rows.removeLast() }
            rows.append(row)
            return true
        }
        return rows
    }

    /// Runs the CIE's initial instructions then the FDE's, calling `emit(row, nextLocation)`
    /// each time the location advances (and at the end, with the FDE's end) until it returns false.
    private func run(_ fde: FrameDescriptionEntry, emit: (UnwindRow, UInt64) -> Bool) throws {
        guard let cie = cies[fde.cieOffset] else { throw CallFrameError("FDE at 0x\(hex(UInt64(fde.offset))) has no CIE") }
        var row = UnwindRow(
            location: fde.pcRange.lowerBound, cfa: .registerOffset(register: DWARFRegister.rsp, offset: 8), registers: [:])
        var initial = row
        var stack: [UnwindRow] = []
        func execute(_ range: Range<Int>, isCIE: Bool) throws -> Bool {
            var cursor = ByteCursor(
                bytes: bytes, sectionAddress: sectionAddress, offset: range.lowerBound, limit: range.upperBound)
            func advance(_ delta: UInt64) -> Bool {
                let next = row.location &+ delta &* cie.codeAlignment
                guard emit(row, next) else { return false }
                row.location = next
                return true
            }
            func factored(_ value: UInt64) -> Int64 { Int64(bitPattern: value) &* cie.dataAlignment }
            func register() throws -> Int { Int(clamping: try cursor.uleb128()) }
            while !cursor.atEnd {
                let opcode = try cursor.u8()
                let operand = opcode & 0x3f
                switch opcode >> 6 {
                case 1:
                    if !advance(UInt64(operand)) { return false }
                    continue
                case 2:
                    row.registers[Int(operand)] = .offset(factored(try cursor.uleb128()))
                    continue
                case 3:
                    row.registers[Int(operand)] = initial.registers[Int(operand)]
                    continue
                default: break
                }
                switch opcode {
                case 0x00: break  // DW_CFA_nop
                case 0x01:  // DW_CFA_set_loc
                    let target = try cursor.pointer(isEHFrame ? cie.pointerEncoding : 0)
                    guard emit(row, target) else { return false }
                    row.location = target
                case 0x02: if !advance(UInt64(try cursor.u8())) { return false }
                case 0x03: if !advance(try cursor.unsigned(2)) { return false }
                case 0x04: if !advance(try cursor.unsigned(4)) { return false }
                case 0x05: row.registers[try register()] = .offset(factored(try cursor.uleb128()))
                case 0x06:
                    let number = try register()
                    row.registers[number] = initial.registers[number]
                case 0x07: row.registers[try register()] = .undefined
                case 0x08: row.registers[try register()] = .sameValue
                case 0x09:
                    let number = try register()
                    row.registers[number] = .register(try register())
                case 0x0a: stack.append(row)
                case 0x0b:
                    guard let saved = stack.popLast() else {
                        throw CallFrameError("DW_CFA_restore_state with nothing remembered")
                    }
                    // The location stays; the rules come back.
                    row.cfa = saved.cfa
                    row.registers = saved.registers
                case 0x0c: row.cfa = .registerOffset(register: try register(), offset: Int64(bitPattern: try cursor.uleb128()))
                case 0x0d:
                    let number = try register()
                    if case .registerOffset(_, let offset) = row.cfa {
                        row.cfa = .registerOffset(register: number, offset: offset)
                    } else {
                        row.cfa = .registerOffset(register: number, offset: 0)
                    }
                case 0x0e, 0x13:
                    let offset =
                        opcode == 0x0e ? Int64(bitPattern: try cursor.uleb128()) : try cursor.sleb128() &* cie.dataAlignment
                    if case .registerOffset(let number, _) = row.cfa {
                        row.cfa = .registerOffset(register: number, offset: offset)
                    } else {
                        throw CallFrameError("DW_CFA_def_cfa_offset after a CFA expression")
                    }
                case 0x0f:
                    try skipBlock(&cursor)
                    row.cfa = .expression
                case 0x10, 0x16:
                    let number = try register()
                    try skipBlock(&cursor)
                    row.registers[number] = opcode == 0x10 ? .expression : .valueExpression
                case 0x11: row.registers[try register()] = .offset(try cursor.sleb128() &* cie.dataAlignment)
                case 0x12:
                    let number = try register()
                    row.cfa = .registerOffset(register: number, offset: try cursor.sleb128() &* cie.dataAlignment)
                case 0x14: row.registers[try register()] = .valueOffset(factored(try cursor.uleb128()))
                case 0x15: row.registers[try register()] = .valueOffset(try cursor.sleb128() &* cie.dataAlignment)
                case 0x2e: _ = try cursor.uleb128()  // DW_CFA_GNU_args_size: no effect on the CFA
                case 0x2f: row.registers[try register()] = .offset(-factored(try cursor.uleb128()))
                default:
                    throw CallFrameError(
                        "unknown CFA instruction 0x\(hex(UInt64(opcode))) at \(sectionName)+0x\(hex(UInt64(cursor.offset - 1)))")
                }
            }
            if isCIE { initial = row }
            return true
        }
        guard try execute(cie.instructions, isCIE: true), try execute(fde.instructions, isCIE: false) else { return }
        _ = emit(row, fde.pcRange.upperBound)
    }

    private func skipBlock(_ cursor: inout ByteCursor) throws {
        let length = try cursor.uleb128()
        cursor.offset += Int(clamping: length)
        guard cursor.offset <= cursor.limit else { throw CallFrameError("expression block runs past its entry") }
    }
}
