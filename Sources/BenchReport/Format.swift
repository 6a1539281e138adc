// Numbers as the report prints them: three significant digits, no exponent for everyday sizes.
import Foundation

public enum Format {
    /// 0.123, 1.23, 12.3, 123, 12345: three significant digits, whole numbers from 100 up.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        let magnitude = abs(value)
        if magnitude >= 100 || magnitude == 0 { return String(Int(value.rounded())) }
        let decimals = magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
        return String(format: "%.\(decimals)f", value)
    }
}
