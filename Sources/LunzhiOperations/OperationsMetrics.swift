import CoreMetrics
import Foundation
import LunzhiMigrations
public import PostgresLibPQ
public import Prometheus

/// Metrics in Prometheus's text format. Counters and timers recorded through swift-metrics by the
/// console and the daemon (commands by name and code, latencies, deliveries by channel) land in
/// this registry once `bootstrap` has run; the database's figures (pool, reminders by state, the
/// audit head, the last checkpoint's age) are read at each scrape.
public final class OperationsMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Makes the registry the process's swift-metrics backend. Call once, at start-up.
    public static func bootstrap() -> OperationsMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
        return OperationsMetrics(registry: registry)
    }

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// A gauge set at each scrape: its name and its `# HELP` text.
    private struct GaugeName {
        let name: String
        let help: String

        static let poolConnections = GaugeName(
            name: "lunzhi_db_pool_connections", help: "Database connections of the pool, in use or idle.")
        static let poolWaiting = GaugeName(name: "lunzhi_db_pool_waiting", help: "Tasks waiting for a database connection.")
        static let databaseUp = GaugeName(
            name: "lunzhi_database_up", help: "1 when the last scrape could query the database, else 0.")
        static let reminders = GaugeName(name: "lunzhi_reminders", help: "Reminders by state.")
        static let auditHead = GaugeName(name: "lunzhi_audit_head_seq", help: "The seq of the newest audit event.")
        static let checkpointAge = GaugeName(
            name: "lunzhi_audit_checkpoint_age_seconds",
            help: "Seconds since the newest signed audit checkpoint (NaN before the first).")
    }

    private func gauge(_ gauge: GaugeName, labels: [(String, String)] = []) -> Prometheus.Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: gauge.name, unitName: "", helpText: gauge.help),
            labels: labels)
    }

    /// Reads the database's figures into gauges, then renders everything. `extra` sets
    /// process-specific gauges (the console's open connections).
    public func scrape(pool: PostgresPool, extra: @Sendable (PrometheusCollectorRegistry) -> Void = { _ in }) async
        -> [UInt8]
    {
        let statistics = await pool.statistics
        gauge(.poolConnections, labels: [("state", "in_use")]).set(
            Double(statistics.inUse))
        gauge(.poolConnections, labels: [("state", "idle")]).set(Double(statistics.idle))
        gauge(.poolWaiting).set(Double(statistics.waiting))
        let up = gauge(.databaseUp)
        do {
            let rows = try await pool.query(
                """
                SELECT 'reminders' AS kind, state AS label, count(*)::float8 AS value FROM reminder GROUP BY state
                UNION ALL SELECT 'head', NULL, coalesce(max(seq), 0)::float8 FROM audit_event
                UNION ALL SELECT 'checkpoint', NULL, extract(epoch FROM now() - max(created_at))::float8
                  FROM audit_checkpoint
                """)
            var seen: Set<String> = []
            for row in rows {
                let value: Double? = try row.decode("value")
                switch try row.decode("kind", as: String.self) {
                case "reminders":
                    let state: String = try row.decode("label")
                    seen.insert(state)
                    gauge(.reminders, labels: [("state", state)]).set(value ?? 0)
                case "head":
                    gauge(.auditHead).set(value ?? 0)
                default:
                    // NaN until the first checkpoint is signed.
                    gauge(.checkpointAge).set(value ?? .nan)
                }
            }
            for state in ["pending", "running", "delivered", "skipped", "dead"] where !seen.contains(state) {
                gauge(.reminders, labels: [("state", state)]).set(0.0)
            }
            up.set(1.0)
        } catch {
            up.set(0.0)
        }
        extra(registry)
        return registry.emitToBuffer()
    }
}

/// Ready means: the database answers and every migration this binary knows is applied, none
/// changed, none unknown.
public enum Readiness {
    public static func check(_ pool: PostgresPool) async -> HealthServer.Check {
        do {
            try await pool.query("SELECT 1")
        } catch {
            return .init(ready: false, detail: "database unreachable: \(error)")
        }
        do {
            let migrator = Migrator(configuration: pool.configuration, migrations: try Migration.bundled())
            let notApplied = try await migrator.status().filter { $0.state != .applied }
            guard notApplied.isEmpty else {
                return .init(
                    ready: false,
                    detail: "migrations not current: "
                        + notApplied.map { "\($0.version) \($0.name) \($0.state.rawValue)" }.joined(separator: ", "))
            }
        } catch {
            return .init(ready: false, detail: "cannot read the migrations: \(error)")
        }
        return .init(ready: true, detail: "ready")
    }
}
