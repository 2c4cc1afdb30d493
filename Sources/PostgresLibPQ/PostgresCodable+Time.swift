public import Foundation

/// `timestamptz` is bound as UTC ISO 8601 text with microseconds (PostgreSQL's precision) and read
/// from the ISO output format with any UTC offset.
extension Date: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter {
        PostgresParameter(
            type: .timestamptz, text: PostgresTimestamp.format(self))
    }
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        guard type == .timestamptz || type == .timestamp || type.isTextual else {
            throw PostgresDecodingFailure.wrongType(type)
        }
        guard let micros = PostgresTimestamp.parse(text) else {
            throw PostgresDecodingFailure("not an ISO timestamp: \(text.prefix(40))")
        }
        self = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }
}

extension CalendarDate: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { PostgresParameter(type: .date, text: description) }
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        guard type == .date || type.isTextual else { throw PostgresDecodingFailure.wrongType(type) }
        guard let value = CalendarDate(text) else { throw PostgresDecodingFailure("not a date: \(text.prefix(40))") }
        self = value
    }
}

/// Timestamps as microseconds since the Unix epoch, the unit PostgreSQL stores.
public enum PostgresTimestamp {
    /// The instant rounded to PostgreSQL's microsecond precision.
    /// Saturates at ±2^62 µs (±146,000 years) instead of trapping on an absurd instant.
    public static func microseconds(_ date: Date) -> Int64 {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let bound = Double(Int64(1) << 62)
        return micros.isNaN ? 0 : Int64(min(max(micros, -bound), bound))
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, to the microsecond as PostgreSQL keeps it.
    public static func format(_ date: Date) -> String { format(microseconds: microseconds(date)) }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public static func format(microseconds: Int64) -> String {
        let perDay: Int64 = 86_400_000_000
        var days = microseconds / perDay
        var rest = microseconds % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        let date = CalendarDate(daysSinceEpoch: Int(days))
        let seconds = Int(rest / 1_000_000)
        let micros = Int(rest % 1_000_000)
        return
            "\(date)T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(micros, 6))Z"
    }

    /// Parses PostgreSQL's ISO output (`2026-01-01 08:00:00.5+08`, `…+05:30`, `…Z`, `T` or space);
    /// without an offset the time is taken as UTC. Returns microseconds since the epoch.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var i = 0
        func number(_ minDigits: Int, _ maxDigits: Int) -> Int? {
            var value = 0
            let start = i
            while i < bytes.count, i - start < maxDigits, bytes[i] >= 48, bytes[i] <= 57 {
                value = value * 10 + Int(bytes[i] - 48)
                i += 1
            }
            return i - start >= minDigits ? value : nil
        }
        func expect(_ c: Character) -> Bool {
            guard i < bytes.count, bytes[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(4, 7), expect("-"), let month = number(2, 2), expect("-"), let day = number(2, 2),
            let date = CalendarDate(year: year, month: month, day: day)
        else { return nil }
        guard i < bytes.count, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "T") else { return nil }
        i += 1
        guard let hour = number(2, 2), hour < 24, expect(":"), let minute = number(2, 2), minute < 60, expect(":"),
            let second = number(2, 2), second < 61
        else { return nil }
        var micros = 0
        if expect(".") {
            let start = i
            guard let fraction = number(1, 9) else { return nil }
            let digits = i - start
            micros = digits <= 6 ? fraction * Int(pow10(6 - digits)) : fraction / Int(pow10(digits - 6))
        }
        var offsetSeconds = 0
        if i < bytes.count {
            if bytes[i] == UInt8(ascii: "Z") {
                i += 1
            } else if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                let sign = bytes[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = number(2, 2) else { return nil }
                var om = 0
                var os = 0
                if expect(":") { guard let m = number(2, 2) else { return nil }; om = m }
                if expect(":") { guard let s = number(2, 2) else { return nil }; os = s }
                offsetSeconds = sign * (oh * 3600 + om * 60 + os)
            }
        }
        guard i == bytes.count else { return nil }
        // Years up to 5874897 overflow microseconds in Int64: such a text is no timestamp (nil), not a trap.
        let daySeconds = Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let (scaled, overflow) = (daySeconds - Int64(offsetSeconds)).multipliedReportingOverflow(by: 1_000_000)
        guard !overflow, scaled < Int64.max - 1_000_000 else { return nil }
        return scaled + Int64(micros)
    }

    private static func pow10(_ n: Int) -> Int64 {
        var v: Int64 = 1
        for _ in 0..<n { v *= 10 }
        return v
    }
}
