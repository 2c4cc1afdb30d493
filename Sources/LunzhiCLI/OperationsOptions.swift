import ArgumentParser
import Logging
import LunzhiOperations
import PostgresLibPQ
import Prometheus
import ServiceLifecycle

/// `--metrics-listen`: the health and metrics HTTP port, and systemd's readiness and watchdog.
struct OperationsOptions: ParsableArguments {
    @Option(
        name: .customLong("metrics-listen"),
        help:
            "HOST:PORT for /healthz, /readyz and /metrics; 'off' for none. (default: 127.0.0.1:9707 for serve, :9708 for remind)"
    )
    var metricsListen: String?

    /// The health server (nil when turned off) and the watchdog, as services for a ServiceGroup.
    func services(
        defaultListen: String, pool: PostgresPool, logger: Logger,
        extra: @escaping @Sendable (PrometheusCollectorRegistry) -> Void = { _ in }
    ) throws -> [any Service] {
        var services: [any Service] = []
        let metrics = OperationsMetrics.bootstrap()
        if metricsListen?.lowercased() != "off" {
            let (host, port) = try ServeCommand.parseListen(metricsListen ?? defaultListen)
            services.append(
                HealthServer(
                    host: host, port: port, logger: logger, readiness: { await Readiness.check(pool) },
                    metrics: { await metrics.scrape(pool: pool, extra: extra) }))
        }
        if let interval = SystemdNotifier.watchdogInterval() {
            services.append(Watchdog(interval: interval, pool: pool, logger: logger))
        }
        return services
    }
}
