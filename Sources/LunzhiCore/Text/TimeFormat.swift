public import Foundation
public import PostgresLibPQ

/// Times as people in the mechanism read them: Asia/Shanghai, in the reader's language.
public enum TimeFormat {
    /// `2026年5月1日 09:30` or `2026-05-01 09:30`.
    public static func time(_ instant: Date, _ language: Language) -> String {
        let day = ShanghaiCalendar.date(of: instant)
        let seconds = Int((instant.timeIntervalSince1970 + 8 * 3600).rounded(.down))
        let minuteOfDay = ((seconds % 86_400) + 86_400) % 86_400 / 60
        let clock = String(format: "%02d:%02d", minuteOfDay / 60, minuteOfDay % 60)
        return date(day, language) + " " + clock
    }

    public static func date(_ day: CalendarDate, _ language: Language) -> String {
        switch language {
        case .zh: "\(day.year)年\(day.month)月\(day.day)日"
        case .en: day.description
        }
    }

    /// A span of days given with its exclusive end: `2026年度` for a calendar year, else
    /// `2026年3月1日 至 2026年5月31日`.
    public static func period(_ from: CalendarDate, until: CalendarDate, _ language: Language) -> String {
        let last = CalendarDate(daysSinceEpoch: until.daysSinceEpoch - 1)
        if from.month == 1 && from.day == 1 && last.month == 12 && last.day == 31 && last.year == from.year {
            return language == .zh ? "\(from.year)年度" : "\(from.year)"
        }
        return date(from, language) + (language == .zh ? " 至 " : " – ") + date(last, language)
    }
}
