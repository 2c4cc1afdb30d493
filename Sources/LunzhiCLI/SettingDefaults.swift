import LunzhiConsole

/// The one source of every setting's default: the `@Option` defaults of serve and remind, the
/// `Setting.all` table (`lunzhi settings`, checked against docs/configuration.md by a test) and,
/// for the console's limits, `ConsoleServer.Configuration`'s own defaults, read from it here.
enum SettingDefaults {
    private static let console = ConsoleServer.Configuration()

    static let listen = "\(console.host):\(console.port)"
    static let maxConnections = console.maximumConnections
    static let maxConnectionsPerAddress = console.maximumPerAddress
    static let authTimeout = Int(console.authTimeout.nanoseconds / 1_000_000_000)
    static let idleTimeout = Int(console.idleTimeout.nanoseconds / 1_000_000_000)
    static let writeTimeout = Int(console.writeTimeout.nanoseconds / 1_000_000_000)
    static let servePoolSize = 16
    static let serveMetricsListen = "127.0.0.1:9707"
    /// The web workspace (`off` turns it off).
    static let webListen = "127.0.0.1:7780"
    /// Minutes a web session may sit idle; hours it may last at most.
    static let webSessionIdle = 30
    static let webSessionMax = 12
    static let logLevel = "info"
    static let logFormat = "text"

    static let remindMetricsListen = "127.0.0.1:9708"
    static let remindPoolSize = 8
    static let pollInterval: Double = 5
    static let batchSize = 512
    static let claimers = 3
    static let lease: Double = 120
    static let retentionDays: Double = 30
    static let sendmail = "/usr/sbin/sendmail -t -i"
    static let mailFrom = "lunzhi@localhost"
    static let checkpointOrigin = "lunzhi-audit"
    static let checkpointInterval: Double = 3600
    static let verifyInterval: Double = 86_400

    /// How a number is shown: without ".0" when whole.
    static func text(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
