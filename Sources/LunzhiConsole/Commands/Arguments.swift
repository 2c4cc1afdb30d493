import Foundation
import LunzhiCore
import PostgresLibPQ

/// A command's positional words and named values, with typed accessors that throw
/// `BAD_ARGUMENT` naming what is wrong.
struct Arguments: Sendable {
    let words: [String]
    let named: [String: String]

    func word(_ index: Int, _ what: String) throws -> String {
        guard index < words.count else { throw ConsoleArgumentError("missing \(what)") }
        return words[index]
    }

    func optionalWord(_ index: Int) -> String? { index < words.count ? words[index] : nil }

    /// A positive id or number within PostgreSQL's bigint.
    func int(_ index: Int, _ what: String) throws -> Int {
        let text = try word(index, what)
        guard let value = Int(text), InputRange.ids.contains(value) else {
            throw ConsoleArgumentError("\(what) must be a positive number, not \(text.prefix(40))")
        }
        return value
    }

    /// A year positional word, within `InputRange.years`.
    func year(_ index: Int, _ what: String) throws -> Int {
        try Self.parseYear(try word(index, what), key: what)
    }

    /// A `key=` year, within `InputRange.years`.
    func optionalYear(_ key: String) throws -> Int? {
        try named[key].map { try Self.parseYear($0, key: key + "=") }
    }

    static func parseYear(_ text: String, key: String) throws -> Int {
        guard let value = Int(text), InputRange.contains(year: value) else {
            throw ConsoleArgumentError(
                "\(key) must be a year from \(InputRange.years.lowerBound) to \(InputRange.years.upperBound)")
        }
        return value
    }

    /// `limit=`, within `InputRange.limit`, or `defaultValue`.
    func limit(default defaultValue: Int) throws -> Int {
        try optionalInt("limit", in: InputRange.limit) ?? defaultValue
    }

    /// A `key=` id: positive, within bigint.
    func optionalID(_ key: String) throws -> Int? {
        guard let text = named[key] else { return nil }
        guard let value = Int(text), InputRange.ids.contains(value) else {
            throw ConsoleArgumentError("\(key)= must be a positive number")
        }
        return value
    }

    func required(_ key: String) throws -> String {
        guard let value = named[key] else { throw ConsoleArgumentError("missing \(key)=") }
        return value
    }

    func optional(_ key: String) -> String? { named[key] }

    func enumValue<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws -> T
    where T.RawValue == String {
        try Self.parseEnum(try required(key), key: key, type)
    }

    func optionalEnum<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws -> T?
    where T.RawValue == String {
        try named[key].map { try Self.parseEnum($0, key: key, type) }
    }

    static func parseEnum<T: RawRepresentable & CaseIterable>(_ text: String, key: String, _ type: T.Type) throws -> T
    where T.RawValue == String {
        guard let value = T(rawValue: text.lowercased()) else {
            throw ConsoleArgumentError("\(key)= must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// A `key=` whole number within `range`.
    func optionalInt(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = named[key] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConsoleArgumentError("\(key)= must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func date(_ key: String) throws -> CalendarDate { try Self.parseDate(try required(key), key: key) }

    func optionalDate(_ key: String) throws -> CalendarDate? { try named[key].map { try Self.parseDate($0, key: key) } }

    static func parseDate(_ text: String, key: String) throws -> CalendarDate {
        guard let date = CalendarDate(text) else { throw ConsoleArgumentError("\(key) must be a date YYYY-MM-DD") }
        guard InputRange.contains(date) else {
            throw ConsoleArgumentError("\(key) must be a date from \(InputRange.firstDay) to \(InputRange.lastDay)")
        }
        return date
    }

    func time(_ key: String) throws -> Date { try Self.parseTime(try required(key), key: key) }

    func optionalTime(_ key: String) throws -> Date? { try named[key].map { try Self.parseTime($0, key: key) } }

    /// ISO 8601: a date (00:00 in Shanghai), a date and time without zone (Shanghai), or with a
    /// zone (`Z`, `+08:00`).
    static func parseTime(_ text: String, key: String) throws -> Date {
        guard let time = ShanghaiCalendar.parseTime(text) else {
            throw ConsoleArgumentError(
                "\(key)= must be an ISO 8601 time from \(InputRange.firstDay) to \(InputRange.lastDay) such as 2026-05-01T09:30 (Shanghai) or 2026-05-01T01:30Z"
            )
        }
        return time
    }

    /// CNY: a plain amount, or with 亿 (100,000,000) or 万 (10,000): `12.5亿`, `300万` (`Money`).
    static func parseMoney(_ text: String, key: String) throws -> Decimal {
        guard let amount = Money.parse(text) else {
            throw ConsoleArgumentError(
                "\(key)= must be an amount of CNY such as 1200000, 300万 or 12.5亿, at most 999999999999999999.99")
        }
        return amount
    }

    func list(_ key: String) -> [String] {
        guard let text = named[key], !text.isEmpty else { return [] }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
    }
}
