// Fixed-width numbers for logs and tables, without Foundation's formatters.

extension Double {
    /// Three decimals: `1.5` → `"1.500"`.
    public var fixed3: String {
        let millis = Int64((self * 1000).rounded())
        let fraction = String(abs(millis) % 1000)
        return "\(millis < 0 ? "-" : "")\(abs(millis) / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// One decimal: `1.25` → `"1.3"`.
    public var fixed1: String {
        let tenths = Int64((self * 10).rounded())
        return "\(tenths < 0 ? "-" : "")\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}

extension String {
    public func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    public func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
