public import Foundation
public import LunzhiCore
public import PostgresLibPQ

/// A clock the test sets and advances.
public final class TestClock: ServiceClock, @unchecked Sendable {
    // @unchecked: `current` is only read or written while holding `lock`.
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date) { current = start }

    /// Noon in Shanghai on a day.
    public convenience init(shanghai date: CalendarDate) {
        self.init(ShanghaiCalendar.startOfDay(date).addingTimeInterval(12 * 3600))
    }

    public func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    public func set(_ date: Date) {
        lock.lock()
        current = date
        lock.unlock()
    }

    /// Sets the clock to a Shanghai day at a given hour.
    public func set(shanghai date: CalendarDate, hour: Int = 12) {
        set(ShanghaiCalendar.startOfDay(date).addingTimeInterval(TimeInterval(hour * 3600)))
    }

    public func advance(_ seconds: TimeInterval) {
        lock.lock()
        current = current.addingTimeInterval(seconds)
        lock.unlock()
    }

    public func advance(days: Int) { advance(TimeInterval(days) * 86_400) }
}

public extension CalendarDate {
    /// `CalendarDate("2026-01-01")!` for tests.
    static func day(_ text: String) -> CalendarDate { CalendarDate(text)! }
}
