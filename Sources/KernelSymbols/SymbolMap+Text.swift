// What a stack walk asks of the symbols beyond names: is an address code (a plausible return
// address), and the call-frame sections to unwind by.

extension SymbolMap {
    /// True when `address` lies in an executable section of the image, or, for an image that
    /// names none, inside a function symbol.
    public func isText(_ address: UInt64) -> Bool {
        let linked = address &- slide
        if !image.executableRanges.isEmpty { return image.executableRanges.contains { $0.contains(linked) } }
        return symbol(containing: address)?.isFunction == true
    }

    /// `.eh_frame` and `.debug_frame` of the image, as far as it has them, at their linked
    /// addresses (an unwinder looks pcs up `slide` lower).
    public var callFrameSections: [ELFSectionContents] { image.callFrameSections }
}
