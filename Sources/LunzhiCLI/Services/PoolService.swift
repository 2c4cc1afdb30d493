import PostgresLibPQ
import ServiceLifecycle

/// Owns the database pools of a long-running command: listed first in its ServiceGroup, it is
/// shut down last, so the pools close in the group's graceful shutdown after every service that
/// uses them has finished (not by hand after `group.run()`).
struct PoolService: Service {
    let pools: [PostgresPool]

    func run() async throws {
        // Returns at graceful shutdown; a cancellation (the group failing) closes the pools too.
        try? await gracefulShutdown()
        for pool in pools { await pool.close() }
    }
}
