public import Foundation

/// Amounts of CNY as people write them: plain, or with 亿 (100,000,000) or 万 (10,000) — `12.5亿`,
/// `300万`. One parser for the console's `investment=` and the web's forms, one way to show them.
public enum Money {
    /// The amount, or nil when the text is not one (or exceeds what a project may name).
    public static func parse(_ text: String) -> Decimal? {
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var factor = Decimal(1)
        if number.hasSuffix("亿") {
            factor = 100_000_000
            number = number.dropLast()
        } else if number.hasSuffix("万") {
            factor = 10_000
            number = number.dropLast()
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            number.filter({ $0 == "." }).count <= 1, number.count <= 20,
            let value = Decimal(string: String(number), locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        let amount = value * factor
        guard amount <= InputRange.maximumAmount else { return nil }
        return amount
    }

    /// `12.5亿元`, `300万元`, `8,500元`: at most two decimals, trailing zeros dropped.
    public static func format(_ amount: Decimal) -> String {
        func decimals(_ value: Decimal) -> String {
            var rounded = Decimal()
            var copy = value
            NSDecimalRound(&rounded, &copy, 2, .plain)
            var text = NSDecimalNumber(decimal: rounded).stringValue
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            return text
        }
        if amount >= 100_000_000 { return decimals(amount / 100_000_000) + "亿元" }
        if amount >= 10_000 { return decimals(amount / 10_000) + "万元" }
        return decimals(amount) + "元"
    }
}
