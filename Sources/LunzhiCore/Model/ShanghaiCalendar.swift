public import Foundation
public import PostgresLibPQ

/// The mechanism's calendar: days in Asia/Shanghai (UTC+8 all year; China has had no daylight
/// saving time since 1991). Chair terms begin at 00:00 on 1 January there.
public enum ShanghaiCalendar {
    static let offsetSeconds: Int64 = 8 * 3600

    /// The Shanghai calendar day of an instant.
    public static func date(of instant: Date) -> CalendarDate {
        // Beyond ±3e14 s (9.5 million years) every day is outside CalendarDate's range anyway;
        // clamping first keeps the conversion to Int64 from trapping.
        let raw = instant.timeIntervalSince1970
        let bounded = raw.isNaN ? 0 : min(max(raw, -3e14), 3e14)
        let seconds = Int64(bounded.rounded(.down)) + offsetSeconds
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return CalendarDate(daysSinceEpoch: Int(days))
    }

    /// 00:00 in Shanghai on a day.
    public static func startOfDay(_ date: CalendarDate) -> Date {
        Date(timeIntervalSince1970: TimeInterval(Int64(date.daysSinceEpoch) * 86_400 - offsetSeconds))
    }

    public static func year(of instant: Date) -> Int { date(of: instant).year }

    /// An instant as the replies show it: `2026-05-01T09:30:00+08:00` (Shanghai, to the second).
    public static func timestamp(_ instant: Date) -> String {
        let micros = PostgresTimestamp.microseconds(instant) + offsetSeconds * 1_000_000
        return String(PostgresTimestamp.format(microseconds: micros).prefix(19)) + "+08:00"
    }

    /// An ISO 8601 time as people type it: a date (00:00 in Shanghai), a date and time without a
    /// zone (Shanghai), or with one (`Z`, `+08:00`). Nil when it is none of these.
    public static func parseTime(_ text: String) -> Date? {
        if let date = CalendarDate(text) { return startOfDay(date) }
        guard text.count >= 16 else { return nil }
        let rest = text.dropFirst(11)
        let zoneStart = rest.firstIndex { $0 == "Z" || $0 == "+" || $0 == "-" }
        var clock = String(zoneStart.map { rest[..<$0] } ?? rest)
        let zone = zoneStart.map { String(rest[$0...]) } ?? "+08:00"
        if clock.count == 5 { clock += ":00" }
        guard let day = CalendarDate(text.prefix(10)), InputRange.contains(day),
            let micros = PostgresTimestamp.parse(text.prefix(10) + "T" + clock + zone)
        else { return nil }
        return Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// 1 January of `year`; a year beyond `CalendarDate.representableYears` gives its first or last
    /// representable 1 January rather than trapping (callers check `InputRange` first).
    public static func firstOfJanuary(_ year: Int) -> CalendarDate {
        let years = CalendarDate.representableYears
        return CalendarDate(year: min(max(year, years.lowerBound + 1), years.upperBound), month: 1, day: 1)!
    }
}
