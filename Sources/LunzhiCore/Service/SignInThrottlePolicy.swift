public import Foundation

/// The sign-in throttle's rules (docs/reliability.md, "Security").
public struct SignInThrottlePolicy: Sendable {
    /// Failures per key (an address, a principal's name) within `window` before it is locked out.
    public var limit = 20
    /// How far back failures count.
    public var window: TimeInterval = 600
    /// The delay before evaluating a sign-in after n earlier failures: 0 for none, then 0.25 s
    /// doubling, at most 8 s.
    public var delays = true

    public init(limit: Int = 20, window: TimeInterval = 600, delays: Bool = true) {
        self.limit = limit
        self.window = window
        self.delays = delays
    }

    func delay(afterFailures count: Int) -> Duration {
        guard delays, count > 0 else { return .zero }
        return .milliseconds(min(8000, 250 << min(count - 1, 5)))
    }
}
