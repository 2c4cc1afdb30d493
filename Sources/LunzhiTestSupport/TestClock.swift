public import Foundation
public import LunzhiCore
public import PostgresLibPQ
import Synchronization

/// A clock the test sets and advances.
public final class TestClock: ServiceClock, Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date) { current = Mutex(start) }

    /// Noon in Shanghai on a day.
    public convenience init(shanghai date: CalendarDate) {
        self.init(ShanghaiCalendar.startOfDay(date).addingTimeInterval(12 * 3600))
    }

    public func now() -> Date { current.withLock { $0 } }

    public func set(_ date: Date) { current.withLock { $0 = date } }

    /// Sets the clock to a Shanghai day at a given hour.
    public func set(shanghai date: CalendarDate, hour: Int = 12) {
        set(ShanghaiCalendar.startOfDay(date).addingTimeInterval(TimeInterval(hour * 3600)))
    }

    public func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    public func advance(days: Int) { advance(TimeInterval(days) * 86_400) }
}

public extension CalendarDate {
    /// `CalendarDate("2026-01-01")!` for tests.
    static func day(_ text: String) -> CalendarDate { CalendarDate(text)! }
}
