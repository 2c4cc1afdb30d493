import Synchronization

/// The health server's open connections, across event loops.
final class OpenConnections: Sendable {
    private let count = Atomic<Int>(0)

    var current: Int { count.load(ordering: .relaxed) }

    /// Counts a new connection if fewer than `limit` are open.
    func enter(limit: Int) -> Bool {
        let now = count.add(1, ordering: .relaxed).newValue
        guard now <= limit else {
            count.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func leave() { count.subtract(1, ordering: .relaxed) }
}
