/// Releases its waiters once `count` arrivals have been counted; from then on, waiting returns at
/// once. Tasks suspend on it instead of polling: many tasks waking every few milliseconds keep
/// Swift's two cooperative threads here busy and hold back the servers under test.
public actor CountdownLatch {
    private let count: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(count: Int) { self.count = count }

    /// Counts one arrival, releasing the waiters if it is the `count`th.
    public func arrive() {
        arrived += 1
        guard arrived == count else { return }
        for waiter in waiting { waiter.resume() }
        waiting.removeAll()
    }

    /// Suspends until `count` arrivals have been counted.
    public func wait() async {
        guard arrived < count else { return }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Counts an arrival, then waits for the others.
    public func arriveAndWait() async {
        arrive()
        await wait()
    }
}
