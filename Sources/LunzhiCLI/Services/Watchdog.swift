import ArgumentParser
import Logging
import LunzhiOperations
import PostgresLibPQ
import Prometheus
import ServiceLifecycle

/// Pings systemd's watchdog at half its interval while the database answers, so a process that
/// hangs, or has lost its database for good, is restarted by systemd.
struct Watchdog: Service {
    let interval: Duration
    let pool: PostgresPool
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await pool.query("SELECT 1")
                SystemdNotifier.notify("WATCHDOG=1")
            } catch {
                logger.warning("watchdog: the database does not answer", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval / 2)
        }
    }
}
