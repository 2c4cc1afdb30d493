import Synchronization

/// Counts the secret comparisons a sign-in makes, and their cost, for tests that prove every
/// failure costs the same (bound with `SignInProbe.$current.withValue`).
public final class SignInProbe: Sendable {
    @TaskLocal public static var current: SignInProbe?
    private let costs = Mutex<[Int]>([])
    public init() {}
    /// The bcrypt cost of each comparison made, in order.
    public var comparisons: [Int] { costs.withLock { $0 } }
    func record(cost: Int) { costs.withLock { $0.append(cost) } }
}
