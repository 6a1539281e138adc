// Which unwind table a kernel's backtraces use: `.eh_frame` when its symbols carry one with
// entries, else `.debug_frame`, else none (frame pointers). Parsed once per section for the
// whole harness process (a Linux vmlinux's 2.4 MB `.debug_frame` takes a quarter of a second),
// as SymbolMapCache reads each symbol file once; a table that does not parse is reported and the
// walk falls back to frame pointers.
import DWARFUnwind
import Foundation
import KernelSymbols

public enum UnwindTableChoice {
    /// The table to walk by (nil: frame pointers) and, when one was present but unusable, why.
    public static func choose(for symbols: SymbolMap?) -> (table: CallFrameTable?, problem: String?) {
        guard let symbols else { return (nil, nil) }
        var problems: [String] = []
        for name in [".eh_frame", ".debug_frame"] {
            guard let section = symbols.callFrameSections.first(where: { $0.name == name }) else { continue }
            do {
                var table = try parsed(section)
                table.slide = symbols.slide
                if !table.fdes.isEmpty { return (table, nil) }
            } catch {
                problems.append("\(error)")
            }
        }
        return (
            nil, problems.isEmpty ? nil : "unwind table unusable, walked by frame pointers: " + problems.joined(separator: "; ")
        )
    }

    /// Tables already parsed, by section name and address; the bytes tell two kernels apart.
    nonisolated(unsafe) private static var tables: [String: (bytes: [UInt8], table: CallFrameTable)] = [:]
    private static let lock = NSLock()

    private static func parsed(_ section: ELFSectionContents) throws -> CallFrameTable {
        let key = "\(section.name)@\(section.address)"
        lock.lock()
        defer { lock.unlock() }
        if let known = tables[key], known.bytes == section.bytes { return known.table }
        let table = try CallFrameTable(sectionName: section.name, address: section.address, bytes: section.bytes)
        tables[key] = (section.bytes, table)
        return table
    }
}
