import Synchronization
public import PostgresLibPQ

/// Callers (a principal and its roles) remembered between reads, so a read costs one query, not
/// two. The database says when to forget: a trigger on `principal` and `principal_role` sends
/// `NOTIFY lunzhi_principals, '<id>'` at commit (SQL/0009), and `follow` forgets that principal.
///
/// Only reads use it; every change still loads its caller inside its own transaction. While the
/// listening connection is down nothing is remembered (notifications could be missed), and a
/// caller loaded while a change was being announced is not remembered either (the generation
/// moved on). A change committed elsewhere reaches reads here once its notification arrives,
/// normally within a millisecond or so.
public final class CallerCache: Sendable {
    private struct State {
        /// True while the listener is connected: only then is anything remembered.
        var live = false
        /// Moves on at every forget, so a load that raced a change is not stored.
        var generation = 0
        var callers: [Int: Caller] = [:]
    }

    private let state = Mutex(State())
    /// Principals are few; past this many, start again rather than grow.
    private static let capacity = 10_000

    public init() {}

    func cached(_ id: Int) -> Caller? {
        state.withLock { $0.live ? $0.callers[id] : nil }
    }

    var generation: Int { state.withLock { $0.generation } }

    func remember(_ caller: Caller, loadedAt generation: Int) {
        state.withLock { state in
            guard state.live, state.generation == generation else { return }
            if state.callers.count >= Self.capacity { state.callers.removeAll() }
            state.callers[caller.id] = caller
        }
    }

    func forget(_ id: Int) {
        state.withLock { state in
            state.generation += 1
            state.callers[id] = nil
        }
    }

    private func forgetAll(live: Bool) {
        state.withLock { state in
            state.generation += 1
            state.callers.removeAll()
            state.live = live
        }
    }

    /// What `follow` reports about its listener, for the operator's log.
    public enum Availability: Sendable {
        /// The listener cannot start (the error says why): every read loads its caller. Reported
        /// once per outage; `follow` retries every second.
        case off(any Error)
        /// The listener started again after being reported off.
        case onAgain
    }

    /// Listens for principal changes until cancelled, reconnecting as needed; the cache is in
    /// use only while this runs and its connection is up. `report` is told when the cache goes
    /// off and when it is on again.
    public func follow(
        _ configuration: PostgresConfiguration, report: @Sendable (Availability) -> Void = { _ in }
    ) async {
        var failing = false
        while !Task.isCancelled {
            let listener = PostgresListener(configuration: configuration, channels: ["lunzhi_principals"])
            do {
                try await listener.start()
            } catch {
                if !failing { report(.off(error)) }
                failing = true
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            if failing { report(.onAgain) }
            failing = false
            forgetAll(live: true)
            await withTaskCancellationHandler {
                for await event in listener {
                    switch event {
                    case .notification(let notification):
                        if let id = Int(notification.payload) { forget(id) } else { forgetAll(live: true) }
                    case .disconnected: forgetAll(live: false)
                    case .reconnected: forgetAll(live: true)
                    }
                }
            } onCancel: {
                listener.stop()
            }
            forgetAll(live: false)
        }
    }
}
