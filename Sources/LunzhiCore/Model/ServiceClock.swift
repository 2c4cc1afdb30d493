public import Foundation

/// Where the service gets "now". Passed in, so tests can step through years and across 1 January.
public protocol ServiceClock: Sendable {
    func now() -> Date
}

/// The real time.
public struct SystemClock: ServiceClock {
    public init() {}
    public func now() -> Date { Date() }
}
