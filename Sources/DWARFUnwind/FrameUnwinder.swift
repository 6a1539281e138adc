// One step up the stack by the unwind table: from a frame's registers (as far as they are known)
// to its caller's. Anything the step cannot do soundly — no FDE, a CFA expression, a register
// it needs but does not know, memory it cannot read — throws with the reason, so a backtrace
// ends where it stops being right.

public struct UnwindStep {
    /// The caller's registers as far as they are known (rsp = CFA, rip = the return address).
    public var registers: [Int: UInt64]
    public var cfa: UInt64
    /// The return address is undefined: this frame is the outermost (the bottom of the stack).
    public var isOutermost: Bool
    /// The frame was a signal (interrupt) frame (`S`): the caller's pc is where it was
    /// interrupted, not a return address, and is looked up as it is.
    public var callerPCIsExact = false
}

extension CallFrameTable {
    /// The caller of the frame whose registers are `registers` (DWARF numbers; 16 is its pc).
    /// `isCallerFrame`: the pc is a return address (frame 1 and up), so the row looked up is the
    /// call's (pc - 1) unless the frame is a signal frame. `read` reads one word of guest memory.
    public func unwind(
        _ registers: [Int: UInt64], isCallerFrame: Bool, read: (UInt64) throws -> UInt64
    ) throws -> UnwindStep {
        guard let pc = registers[DWARFRegister.returnAddress] else { throw CallFrameError("pc unknown") }
        let lookup = isCallerFrame ? pc &- 1 : pc
        guard let fde = entry(for: lookup &- slide) else {
            throw CallFrameError("no CFI in \(sectionName) for 0x\(hex(lookup))")
        }
        let row = try self.row(at: lookup &- slide, in: fde)
        guard case .registerOffset(let base, let offset) = row.cfa else {
            throw CallFrameError("the CFA at 0x\(hex(lookup)) is a DWARF expression (unsupported)")
        }
        guard let baseValue = registers[base] else {
            throw CallFrameError("the CFA at 0x\(hex(lookup)) needs \(DWARFRegister.name(base)), which is not known here")
        }
        let cfa = baseValue &+ UInt64(bitPattern: offset)
        var caller: [Int: UInt64] = [DWARFRegister.rsp: cfa]
        let returnColumn = cies[fde.cieOffset]?.returnAddressRegister ?? DWARFRegister.returnAddress
        var numbers = Set(row.registers.keys).union(DWARFRegister.calleeSaved)
        numbers.insert(returnColumn)
        for number in numbers.sorted() where number != DWARFRegister.rsp {
            let rule = row.registers[number] ?? (DWARFRegister.calleeSaved.contains(number) ? .sameValue : .undefined)
            let value: UInt64?
            switch rule {
            case .undefined: value = nil
            case .sameValue: value = registers[number]
            case .offset(let delta):
                let at = cfa &+ UInt64(bitPattern: delta)
                do { value = try read(at) } catch {
                    throw CallFrameError("cannot read \(DWARFRegister.name(number))'s slot at 0x\(hex(at))")
                }
            case .valueOffset(let delta): value = cfa &+ UInt64(bitPattern: delta)
            case .register(let other): value = registers[other]
            case .expression, .valueExpression:
                if number == returnColumn {
                    throw CallFrameError("the return address at 0x\(hex(lookup)) is a DWARF expression (unsupported)")
                }
                value = nil  // a register we may not need: unknown from here on
            }
            if number == returnColumn {
                guard let value else {
                    return UnwindStep(registers: caller, cfa: cfa, isOutermost: true)
                }
                caller[DWARFRegister.returnAddress] = value
            } else if let value {
                caller[number] = value
            }
        }
        return UnwindStep(
            registers: caller, cfa: cfa, isOutermost: false, callerPCIsExact: cies[fde.cieOffset]?.isSignalFrame ?? false)
    }
}
