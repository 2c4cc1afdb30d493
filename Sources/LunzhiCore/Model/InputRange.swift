public import Foundation
public import PostgresLibPQ

/// The ranges every number, date and time that comes from a person must fall in, checked where
/// it is parsed (the console answers `400 BAD_ARGUMENT`) and again by the service
/// (`422 INVALID_ARGUMENT`), so no arithmetic on input can overflow and trap the process.
public enum InputRange {
    /// Years a date, a time or a year of the mechanism may name.
    public static let years = 1900...2999
    /// Rows a list may ask for.
    public static let limit = 1...1000
    /// Years a rotation plan may cover at once.
    public static let planYears = 1...200
    /// Record ids: positive and within PostgreSQL's `bigint`.
    public static let ids = 1...Int(Int64.max)
    /// The largest amount of CNY a project may name: `numeric(20, 2)` holds 18 digits before the point.
    public static let maximumAmount = Decimal(string: "999999999999999999.99")!

    /// The first and last day of `years`, for messages.
    public static var firstDay: CalendarDate { CalendarDate(year: years.lowerBound, month: 1, day: 1)! }
    public static var lastDay: CalendarDate { CalendarDate(year: years.upperBound, month: 12, day: 31)! }

    public static func contains(year: Int) -> Bool { years.contains(year) }
    public static func contains(_ date: CalendarDate) -> Bool { years.contains(date.year) }
    public static func contains(_ time: Date) -> Bool {
        let seconds = time.timeIntervalSince1970
        return seconds.isFinite && seconds > -3_000_000_000_000 && seconds < 3_000_000_000_000
            && years.contains(ShanghaiCalendar.year(of: time))
    }

    /// The year, or INVALID_ARGUMENT naming `what`.
    @discardableResult
    public static func check(year: Int, _ what: String) throws(DomainError) -> Int {
        guard years.contains(year) else {
            throw DomainError.invalid(
                "range_year", ["field": .field(what), "first": "\(years.lowerBound)", "last": "\(years.upperBound)"])
        }
        return year
    }

    @discardableResult
    public static func check(_ date: CalendarDate, _ what: String) throws(DomainError) -> CalendarDate {
        guard contains(date) else {
            throw DomainError.invalid("range_date", ["field": .field(what), "first": "\(firstDay)", "last": "\(lastDay)"])
        }
        return date
    }

    @discardableResult
    public static func check(_ time: Date, _ what: String) throws(DomainError) -> Date {
        guard contains(time) else {
            throw DomainError.invalid("range_time", ["field": .field(what), "first": "\(firstDay)", "last": "\(lastDay)"])
        }
        return time
    }

    @discardableResult
    public static func check(limit: Int, _ what: String = "limit") throws(DomainError) -> Int {
        guard self.limit.contains(limit) else {
            throw DomainError.invalid(
                "range_number",
                ["field": .field(what), "first": "\(self.limit.lowerBound)", "last": "\(self.limit.upperBound)"])
        }
        return limit
    }

    @discardableResult
    public static func check(amount: Decimal, _ what: String) throws(DomainError) -> Decimal {
        guard !amount.isNaN, amount >= 0, amount <= maximumAmount else {
            throw DomainError.invalid("range_amount", ["field": .field(what)])
        }
        return amount
    }
}
