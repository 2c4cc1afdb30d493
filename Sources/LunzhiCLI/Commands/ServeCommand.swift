import ArgumentParser
import Foundation
import Logging
import LunzhiAudit
import LunzhiConsole
import LunzhiCore
import LunzhiOperations
import LunzhiWeb
import NIOCore
import PostgresLibPQ
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the admin console server (line protocol over TCP; docs/console.md).")

    @Option(help: "Where to listen, HOST:PORT.")
    var listen: String = SettingDefaults.listen

    @Option(
        name: .customLong("unix-socket"),
        help: "Also listen on this Unix socket (mode 0660; its permissions are its access control).")
    var unixSocket: String?

    @Option(name: .customLong("tls-cert"), help: "TLS on the TCP listener: the certificate chain (PEM).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The TLS private key (PEM).")
    var tlsKey: String?

    @Option(
        name: .customLong("tls-client-ca"), help: "Require client certificates issued by this CA (PEM): mutual TLS.")
    var tlsClientCA: String?

    @Option(name: .customLong("max-connections"), help: "Most connections at once.")
    var maxConnections: Int = SettingDefaults.maxConnections
    @Option(name: .customLong("max-connections-per-address"), help: "Most connections from one IP address.")
    var maxConnectionsPerAddress: Int = SettingDefaults.maxConnectionsPerAddress
    @Option(name: .customLong("auth-timeout"), help: "Seconds a connection may stay without signing in.")
    var authTimeout: Int = SettingDefaults.authTimeout

    @Option(
        name: .customLong("idle-timeout"),
        help: "Seconds a connection may go without sending a whole request line.")
    var idleTimeout: Int = SettingDefaults.idleTimeout

    @Option(
        name: .customLong("write-timeout"),
        help: "Seconds a client may leave its replies unread (the server's writes blocked) before it is closed.")
    var writeTimeout: Int = SettingDefaults.writeTimeout

    @Option(name: .customLong("pool-size"), help: "Database connections.")
    var poolSize: Int = SettingDefaults.servePoolSize

    @Option(name: .customLong("audit-key"), help: "The checkpoint signer's verifier key file, for AUDIT VERIFY.")
    var auditKey: String?

    @Option(
        name: .customLong("checkpoint-log"),
        help: "The checkpoint log file AUDIT VERIFY reads (default: the copies in the database).")
    var checkpointLog: String?

    @Option(
        name: .customLong("read-database-url"),
        help: "A streaming replica for auditors' queries (HISTORY, AUDIT …); writes stay on the primary.")
    var readDatabaseURL: String?

    @Option(name: .customLong("web-listen"), help: "The web workspace's HOST:PORT, or off (docs/web.md).")
    var webListen: String = SettingDefaults.webListen

    @Option(name: .customLong("web-tls-cert"), help: "TLS for the web workspace: the certificate chain (PEM).")
    var webTLSCertificate: String?

    @Option(name: .customLong("web-tls-key"), help: "The web workspace's TLS private key (PEM).")
    var webTLSKey: String?

    @Option(name: .customLong("web-session-idle"), help: "Minutes a web session may sit idle.")
    var webSessionIdle: Int = SettingDefaults.webSessionIdle

    @Option(name: .customLong("web-session-max"), help: "Hours a web session may last at most.")
    var webSessionMax: Int = SettingDefaults.webSessionMax

    @OptionGroup var operations: OperationsOptions
    @OptionGroup var webhooks: WebhookOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "lunzhi.serve")
        let (host, port) = try Self.parseListen(listen)
        guard maxConnections > 0, idleTimeout > 0, writeTimeout > 0, poolSize > 0, maxConnectionsPerAddress > 0,
            authTimeout > 0, webSessionIdle > 0, webSessionMax > 0
        else {
            throw ValidationError("limits must be positive")
        }
        try database.configuration.validate()
        guard (tlsCertificate == nil) == (tlsKey == nil), tlsClientCA == nil || tlsCertificate != nil else {
            throw ValidationError("--tls-cert and --tls-key go together; --tls-client-ca needs them")
        }
        let tls = try tlsCertificate.map {
            try ConsoleTLS(files: .init(certificate: $0, key: tlsKey!, clientCA: tlsClientCA))
        }
        let pool = PostgresPool(configuration: database.configuration, options: .init(maximumConnections: poolSize))
        let readPool = readDatabaseURL.map {
            PostgresPool(
                configuration: PostgresConfiguration(connectionString: $0),
                options: .init(maximumConnections: max(2, poolSize / 2)))
        }
        let key = try auditKey.map { try SignedNote.Verifier(encoded: try String(contentsOfFile: $0, encoding: .utf8)) }
        guard (webTLSCertificate == nil) == (webTLSKey == nil) else {
            throw ValidationError("--web-tls-cert and --web-tls-key go together")
        }
        let web = webListen == "off" ? nil : try Self.parseListen(webListen, option: "--web-listen")
        let callers = CallerCache()
        let service = Cooperation(
            pool: pool, auditReadPool: readPool, callers: callers, webhookPolicy: try webhooks.policy,
            webSessionPolicy: WebSessionPolicy(
                idle: TimeInterval(webSessionIdle * 60), absolute: TimeInterval(webSessionMax * 3600)))
        let environment = ConsoleEnvironment(
            service: service, version: LunzhiVersion.current,
            auditKey: key,
            checkpointLog: checkpointLog.map(CheckpointLog.init(path:)))
        let server = ConsoleServer(
            configuration: .init(
                host: host, port: port, maximumConnections: maxConnections, idleTimeout: .seconds(Int64(idleTimeout)),
                writeTimeout: .seconds(Int64(writeTimeout)),
                unixSocketPath: unixSocket, tls: tls, authTimeout: .seconds(Int64(authTimeout)),
                maximumPerAddress: maxConnectionsPerAddress),
            environment: environment, logger: logger
        ) { address in
            // Ready for systemd (Type=notify) once the listener is bound and the database answers.
            Task {
                let check = await Readiness.check(pool)
                if check.ready {
                    SystemdNotifier.notify("READY=1\nSTATUS=console on \(address)")
                } else {
                    logger.error("not ready", metadata: ["reason": "\(check.detail)"])
                    SystemdNotifier.notify("STATUS=not ready: \(check.detail)")
                }
            }
        }
        let operationsServices = try operations.services(defaultListen: SettingDefaults.serveMetricsListen, pool: pool, logger: logger) { registry in
            registry.makeGauge(
                descriptor: .init(
                    namespace: "lunzhi", subsystem: "console", metricName: "connections", unitName: "",
                    helpText: "Open console connections.")
            ).set(Double(environment.connectionCount))
        }
        let cacheService = CallerCacheService(cache: callers, configuration: database.configuration, logger: logger)
        // Shut down in reverse order: metrics, the cache, the console (quiescing), SIGHUP, then
        // the pools, which every other service uses.
        let pools = PoolService(pools: [pool] + (readPool.map { [$0] } ?? []))
        var webServices: [any Service] = []
        let webTLS = try webTLSCertificate.map { try ServerTLS(files: .init(certificate: $0, key: webTLSKey!)) }
        if let (webHost, webPort) = web {
            let app = WebApp(
                service: service, configuration: WebConfiguration(host: webHost, port: webPort, tls: webTLS != nil),
                auditKey: key, checkpointLog: checkpointLog.map(CheckpointLog.init(path:)))
            webServices.append(
                app.application(logger: logger, tls: webTLS) { port in
                    logger.notice("web workspace listening", metadata: ["url": "\(webTLSCertificate == nil ? "http" : "https")://\(webHost):\(port)/"])
                })
        }
        let services: [any Service] =
            [pools, TLSReloadService(certificates: [tls, webTLS].compactMap { $0 }, logger: logger), server, cacheService] + webServices + operationsServices
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        SystemdNotifier.notify("STOPPING=1")
    }

    static func parseListen(_ text: String, option: String = "--listen") throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ValidationError("\(option) takes HOST:PORT, e.g. 127.0.0.1:7707")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
