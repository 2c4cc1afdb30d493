public import Foundation
public import PostgresLibPQ

/// The mechanism's calendar: days in Asia/Shanghai (UTC+8 all year; China has had no daylight
/// saving time since 1991). Chair terms begin at 00:00 on 1 January there.
public enum ShanghaiCalendar {
    static let offsetSeconds: Int64 = 8 * 3600

    /// The Shanghai calendar day of an instant.
    public static func date(of instant: Date) -> CalendarDate {
        let seconds = Int64((instant.timeIntervalSince1970).rounded(.down)) + offsetSeconds
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return CalendarDate(daysSinceEpoch: Int(days))
    }

    /// 00:00 in Shanghai on a day.
    public static func startOfDay(_ date: CalendarDate) -> Date {
        Date(timeIntervalSince1970: TimeInterval(Int64(date.daysSinceEpoch) * 86_400 - offsetSeconds))
    }

    public static func year(of instant: Date) -> Int { date(of: instant).year }

    public static func firstOfJanuary(_ year: Int) -> CalendarDate { CalendarDate(year: year, month: 1, day: 1)! }
}
