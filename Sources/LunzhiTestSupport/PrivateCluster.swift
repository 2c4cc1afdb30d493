public import Foundation
public import PostgresLibPQ

/// A PostgreSQL cluster of a test's own, for tests that restart or stop the server — which would
/// disturb every other test on the shared one. Made in `LUNZHI_TEST_WORKDIR` from a copy of the
/// fresh data directory `Deploy/test.sh` keeps (`LUNZHI_TEST_PRISTINE_DATADIR`): an initdb costs
/// 1–2 s of CPU, and a dozen at the suite's start held both cores for seconds.
public final class PrivateCluster: Sendable {
    public let port: Int
    public let directory: URL
    private let binDirectory: String
    private let osUser: String?
    /// Whether the server accepts TLS (`ssl=on`, with a self-signed certificate made for it).
    public let tls: Bool

    public var configuration: PostgresConfiguration {
        PostgresConfiguration(connectionString: "host=127.0.0.1 port=\(port) user=lunzhi dbname=postgres")
    }

    private init(port: Int, directory: URL, binDirectory: String, osUser: String?, tls: Bool = false) {
        self.port = port
        self.directory = directory
        self.binDirectory = binDirectory
        self.osUser = osUser
        self.tls = tls
    }

    /// Creates and starts a cluster; `body` runs with it, and it is stopped and removed afterwards.
    /// With `tls`, the server also accepts TLS connections (`sslmode=require`), with a
    /// self-signed certificate made by `openssl`.
    public static func with<T>(tls: Bool = false, _ body: (PrivateCluster) async throws -> T) async throws -> T {
        let environment = ProcessInfo.processInfo.environment
        guard let bin = environment["LUNZHI_TEST_PG_BINDIR"], let work = environment["LUNZHI_TEST_WORKDIR"],
            let pristine = environment["LUNZHI_TEST_PRISTINE_DATADIR"]
        else {
            throw TestEnvironmentError(
                message: "private clusters need Deploy/test.sh (LUNZHI_TEST_PG_BINDIR, _WORKDIR, _PRISTINE_DATADIR)")
        }
        let user = getuid() == 0 ? environment["LUNZHI_TEST_CLUSTER_USER"] : nil
        let directory = URL(fileURLWithPath: work).appendingPathComponent(UUID().uuidString.prefix(8).lowercased())
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = PrivateCluster(
            port: try LoopbackPort.free(), directory: directory, binDirectory: bin, osUser: user, tls: tls)
        if let user { try await run("/bin/chown", [user, directory.path]) }
        return try await cluster.removedAfter {
            try await asUser(user, ["/bin/cp", "-a", pristine, directory.appendingPathComponent("data").path])
            if tls { try await cluster.makeCertificate() }
            try await cluster.start()
            return try await body(cluster)
        }
    }

    /// Runs `body`, then stops this cluster and removes its directory, whatever happened.
    private func removedAfter<T>(_ body: () async throws -> T) async throws -> T {
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        try? await stop(mode: "immediate")
        try? FileManager.default.removeItem(at: directory)
        return try result.get()
    }

    /// A streaming replica of this cluster, made with `pg_basebackup -R` and started on a port of
    /// its own; stopped and removed after `body`.
    public func withStreamingReplica<T>(_ body: (PrivateCluster) async throws -> T) async throws -> T {
        let directory = self.directory.deletingLastPathComponent().appendingPathComponent(
            UUID().uuidString.prefix(8).lowercased() + "-replica")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if let osUser { try await Self.run("/bin/chown", [osUser, directory.path]) }
        let replica = PrivateCluster(
            port: try LoopbackPort.free(), directory: directory, binDirectory: binDirectory, osUser: osUser)
        return try await replica.removedAfter {
            try await asClusterUser([
                binDirectory + "/pg_basebackup", "-h", "127.0.0.1", "-p", String(port), "-U", "lunzhi", "-D",
                directory.appendingPathComponent("data").path, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
            ])
            try await replica.start()
            return try await body(replica)
        }
    }

    public func start() async throws {
        let options =
            "-c listen_addresses=127.0.0.1 -p \(port) -c unix_socket_directories=\(directory.path) -c fsync=off"
            + (tls ? " -c ssl=on" : "")
        let log = directory.appendingPathComponent("log").path
        do {
            try await pgctl(["start", "-w", "-t", "60", "-l", log, "-o", options])
        } catch let error as TestEnvironmentError {
            // pg_ctl only says "stopped waiting"; the server's own log says why.
            let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(5)
            throw TestEnvironmentError(message: error.message + "\nserver log: " + tail.joined(separator: "\n"))
        }
    }

    /// Stops the server: mode `fast` (disconnect clients cleanly) or `immediate` (like a crash).
    public func stop(mode: String = "fast") async throws {
        try await pgctl(["stop", "-w", "-t", "60", "-m", mode])
    }

    /// `pg_ctl restart` in the given mode.
    public func restart(mode: String = "fast") async throws {
        try await stop(mode: mode)
        try await start()
    }

    /// Ends a standby's recovery (`pg_ctl promote`): it becomes a primary, as in a failover.
    public func promote() async throws {
        try await pgctl(["promote", "-w", "-t", "60"])
    }

    /// server.crt and server.key in the data directory, where `ssl=on` looks for them.
    private func makeCertificate() async throws {
        let data = directory.appendingPathComponent("data")
        try await asClusterUser([
            "/usr/bin/openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=127.0.0.1",
            "-newkey", "rsa:2048", "-keyout", data.appendingPathComponent("server.key").path,
            "-out", data.appendingPathComponent("server.crt").path,
        ])
        try await asClusterUser(["/bin/chmod", "600", data.appendingPathComponent("server.key").path])
    }

    private func pgctl(_ arguments: [String]) async throws {
        try await asClusterUser(
            [binDirectory + "/pg_ctl", "-D", directory.appendingPathComponent("data").path] + arguments)
    }

    private func asClusterUser(_ command: [String]) async throws {
        try await Self.asUser(osUser, command)
    }

    /// Runs `command` as `osUser` (when the tests run as root), else as this process's user.
    private static func asUser(_ osUser: String?, _ command: [String]) async throws {
        if let osUser {
            try await run("/usr/sbin/runuser", ["-u", osUser, "--"] + command)
        } else {
            try await run(command[0], Array(command.dropFirst()))
        }
    }

    /// Runs a program to completion; throws with its output when it fails. (Foundation's Process
    /// was seen to leave `runuser` unreaped here, hanging waitUntilExit.)
    static func run(_ executable: String, _ arguments: [String]) async throws {
        let completion = try await BackgroundProcess.run(executable, arguments)
        guard completion.status == 0 else {
            throw TestEnvironmentError(
                message:
                    "\(executable) \(arguments.joined(separator: " ")) failed (status \(completion.status)): \(completion.output)"
            )
        }
    }
}
