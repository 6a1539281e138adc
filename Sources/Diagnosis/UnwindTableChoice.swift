// Which unwind table a kernel's backtraces use: `.eh_frame` when its symbols carry one with
// entries, else `.debug_frame`, else none (frame pointers). Parsed once per diagnosis; a table
// that does not parse is reported and the walk falls back to frame pointers.
import DWARFUnwind
import KernelSymbols

public enum UnwindTableChoice {
    /// The table to walk by (nil: frame pointers) and, when one was present but unusable, why.
    public static func choose(for symbols: SymbolMap?) -> (table: CallFrameTable?, problem: String?) {
        guard let symbols else { return (nil, nil) }
        var problems: [String] = []
        for name in [".eh_frame", ".debug_frame"] {
            guard let section = symbols.callFrameSections.first(where: { $0.name == name }) else { continue }
            do {
                var table = try CallFrameTable(sectionName: name, address: section.address, bytes: section.bytes)
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
}
