import Synchronization

/// A bcrypt hash at the service's cost of a secret nobody knows, made on first use and kept: a
/// sign-in with an unknown name is compared against it, at the same cost as a known one. Made
/// lazily so a process that never meets an unknown name does not pay for it at start.
final class DummyHash: Sendable {
    private let cost: Int
    private let made = Mutex<String?>(nil)

    init(cost: Int) { self.cost = cost }

    func value() async -> String {
        if let hash = made.withLock({ $0 }) { return hash }
        let cost = self.cost
        let hash = await Cooperation.offThePool { BCrypt.hash(Cooperation.generateSecret(), cost: cost) }
        return made.withLock { stored in
            if let stored { return stored }
            stored = hash
            return hash
        }
    }
}
