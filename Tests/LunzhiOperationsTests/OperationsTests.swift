import Foundation
import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct OperationsTests {
    @Test func serveIsReadyReportsHealthAndMetricsAndStopsCleanly() async throws {
        try await TestDatabase.with { database in
            let port = try LoopbackPort.free()
            let metricsPort = try LoopbackPort.free()
            let notify = try NotifySocket()
            var environment = ProcessInfo.processInfo.environment
            environment["NOTIFY_SOCKET"] = notify.path
            environment["LUNZHI_LOG_FORMAT"] = "json"
            let log = temporaryPath("serve.log")
            defer { try? FileManager.default.removeItem(atPath: log) }
            let server = try BackgroundProcess(
                try lunzhiBinary(),
                [
                    "serve", "--web-listen", "off", "--listen", "127.0.0.1:\(port)", "--metrics-listen", "127.0.0.1:\(metricsPort)",
                    "--database-url", "dbname=\(database.name)",
                ], environment: environment, log: log)
            let ready = notify.receive(timeout: 30)
            #expect(
                ready?.hasPrefix("READY=1") == true,
                "\(ready ?? "nothing"); \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            try await BackgroundProcess.waitForPort(metricsPort)

            #expect(try httpGet(port: metricsPort, path: "/healthz") == (200, "ok\n"))
            #expect(try httpGet(port: metricsPort, path: "/readyz") == (200, "ready\n"))
            #expect(try httpGet(port: metricsPort, path: "/nowhere").status == 404)
            try await ConsoleClient.with(host: "127.0.0.1", port: port, connectTimeout: .seconds(60)) { (client: ConsoleClient) async throws in
                #expect(try await client.request("PING").code == 200)
                #expect(try await client.request("CHAIR").code == 401)
            }
            let metrics = try httpGet(port: metricsPort, path: "/metrics")
            #expect(metrics.status == 200)
            for expected in [
                #"lunzhi_console_commands_total{command="PING",code="200"} 1"#,
                "lunzhi_database_up 1.0", "lunzhi_audit_head_seq 0.0", "lunzhi_audit_checkpoint_age_seconds nan",
                #"lunzhi_reminders{state="pending"} 0.0"#, "lunzhi_console_connections ",
                #"lunzhi_db_pool_connections{state="in_use"}"#, "lunzhi_console_command_duration_seconds_bucket",
                "# HELP lunzhi_database_up 1 when", "# HELP lunzhi_reminders Reminders by state.",
            ] {
                #expect(metrics.body.contains(expected), "missing \(expected) in\n\(metrics.body)")
            }
            server.stop(SIGTERM)
            #expect(notify.receive(timeout: 10) == "STOPPING=1")
            // JSON logs: one object per line; each request with its id.
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            let objects = lines.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
            #expect(objects.count == lines.count && !lines.isEmpty)
            let ping = objects.first { $0["message"] as? String == "request" && $0["command"] as? String == "PING" }
            #expect((ping?["request_id"] as? String)?.isEmpty == false && ping?["code"] as? String == "200")
        }
    }

    @Test func readinessFailsWhileMigrationsAreBehind() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let metricsPort = try LoopbackPort.free()
            let server = try BackgroundProcess(
                try lunzhiBinary(),
                [
                    "serve", "--web-listen", "off", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:\(metricsPort)",
                    "--database-url", "dbname=\(database.name)",
                ])
            defer { server.stop(SIGTERM) }
            try await BackgroundProcess.waitForPort(metricsPort)
            let ready = try httpGet(port: metricsPort, path: "/readyz")
            #expect(
                ready.status == 503 && ready.body.hasPrefix("migrations not current: 1 extensions pending"), "\(ready)")
            #expect(try httpGet(port: metricsPort, path: "/healthz").status == 200)
        }
    }

    @Test func badSettingsStopTheStartNamingTheKey() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["LUNZHI_POOL_SIZE"] = "many"
        let fromEnvironment = try await BackgroundProcess.run(try lunzhiBinary(), ["serve"], environment: environment)
        #expect(fromEnvironment.status == 78)
        #expect(fromEnvironment.output.contains("LUNZHI_POOL_SIZE = 'many': must be a positive whole number"))

        let config = temporaryPath("lunzhi.conf")
        defer { try? FileManager.default.removeItem(atPath: config) }
        try "# a comment\nlisten = 127.0.0.1:7707\nbatch_sise = 10\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let unknown = try await BackgroundProcess.run(try lunzhiBinary(), ["remind", "--config", config])
        #expect(
            unknown.status == 78
                && unknown.output.contains(":3: unknown setting 'batch_sise' (did you mean batch_size?)"))

        environment["LUNZHI_POOL_SIZE"] = nil
        environment["LUNZHI_DATABASE_URL"] = "postgresql://lunzhi:hunter2@127.0.0.1:1/x"
        environment["LUNZHI_LISTEN"] = "nowhere"
        let secret = try await BackgroundProcess.run(try lunzhiBinary(), ["serve"], environment: environment)
        #expect(secret.status == 78 && secret.output.contains("LUNZHI_LISTEN = 'nowhere'"))
        #expect(!secret.output.contains("hunter2"))
    }

    /// docs/configuration.md names every setting's key and variable, with the default the code
    /// uses (`SettingDefaults`, the one source, as `lunzhi settings` prints it).
    @Test func theConfigurationTableIsDocumented() async throws {
        let doc = try String(contentsOfFile: repositoryRoot + "/docs/configuration.md", encoding: .utf8)
        let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| `") }
        let binary = try lunzhiBinary()
        let listed = try await BackgroundProcess.run(binary, ["settings"])
        #expect(listed.status == 0)
        for line in listed.output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            #expect(fields.count >= 2)
            for field in fields.prefix(2) {
                #expect(doc.contains("`\(field)`"), "docs/configuration.md lacks \(field)")
            }
            guard let marker = line.range(of: " default=") else { continue }
            let value = line[marker.upperBound...].replacingOccurrences(of: " secret", with: "")
            guard value != "none" else { continue }
            let row = rows.first { $0.hasPrefix("| `\(fields[0])` |") }
            let column = row?.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.dropFirst(4).first
            #expect(
                column == "`\(value)`" || column == value, "\(fields[0]): the code's default is \(value), the docs say \(column ?? "nothing")")
        }
    }

    @Test func theSystemdUnitsVerify() async throws {
        let directory = temporaryPath("units")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for unit in ["lunzhi-console.service", "lunzhi-remind.service"] {
            // The units name the installed binary; point them at the one under test.
            let text = try String(contentsOfFile: repositoryRoot + "/Deploy/systemd/" + unit, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/lunzhi", with: try lunzhiBinary())
            try text.write(toFile: directory + "/" + unit, atomically: true, encoding: .utf8)
        }
        let verified = try await BackgroundProcess.run(
            "systemd-analyze", ["verify", directory + "/lunzhi-console.service", directory + "/lunzhi-remind.service"])
        #expect(verified.status == 0, "\(verified.output)")
        #expect(!verified.output.contains("Unknown"), "\(verified.output)")
        #expect(!verified.output.contains("ignoring"), "\(verified.output)")
    }

    @Test func installIsSafeToRunTwice() async throws {
        let root = temporaryPath("root")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let script = repositoryRoot + "/Deploy/install.sh"
        let first = try await BackgroundProcess.run("bash", [script, "--root", root, "--binary", try lunzhiBinary()])
        #expect(first.status == 0, "\(first.output)")
        try "LUNZHI_LISTEN=127.0.0.1:7777\n".write(
            toFile: root + "/etc/lunzhi/lunzhi.env", atomically: true, encoding: .utf8)
        let second = try await BackgroundProcess.run("bash", [script, "--root", root, "--binary", try lunzhiBinary()])
        #expect(second.status == 0 && second.output.contains("kept the existing"), "\(second.output)")
        #expect(
            try String(contentsOfFile: root + "/etc/lunzhi/lunzhi.env", encoding: .utf8)
                == "LUNZHI_LISTEN=127.0.0.1:7777\n")
        for path in [
            "/usr/local/bin/lunzhi", "/etc/systemd/system/lunzhi-console.service",
            "/etc/systemd/system/lunzhi-remind.service", "/usr/local/share/doc/lunzhi/operations.md",
        ] {
            #expect(FileManager.default.fileExists(atPath: root + path), "\(path)")
        }
        let version = try await BackgroundProcess.run(root + "/usr/local/bin/lunzhi", ["version"])
        #expect(version.status == 0)
    }
}

/// Two `lunzhi serve` processes on one database, one of them also on a Unix socket: the service
/// keeps no state of its own, so work started on one continues on the other.
@Suite struct TwoServersTests {
    @Test func twoServersShareOneDatabase() async throws {
        try await MechanismFixture.with { f in
            var secrets: [String: String] = [:]
            for (name, role, member) in [("a-sn", Role.clerk, "SN"), ("a-gs", .clerk, "GS"), ("a-aud", .auditor, nil)] {
                if let member {
                    secrets[name] = try await f.addConfirmedClerk(name: name, member: member).secret
                } else {
                    secrets[name] = try await f.service.addPrincipal(by: f.operatorID, name: name, role: role).secret
                }
            }
            let socket = temporaryPath("console.sock")
            let ports = [try LoopbackPort.free(), try LoopbackPort.free()]
            var servers: [BackgroundProcess] = []
            defer { for server in servers { server.stop(SIGTERM) } }
            for (i, port) in ports.enumerated() {
                servers.append(
                    try BackgroundProcess(
                        try lunzhiBinary(),
                        [
                            "serve", "--web-listen", "off", "--listen", "127.0.0.1:\(port)", "--metrics-listen", "off", "--database-url",
                            "dbname=\(f.database.name)",
                        ] + (i == 0 ? ["--unix-socket", socket] : [])))
            }
            for port in ports { try await BackgroundProcess.waitForPort(port) }
            // The Unix socket is bound just after the TCP listener.
            for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) {
                try await Task.sleep(for: .milliseconds(50))
            }
            let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
            #expect(mode == 0o660)

            func signedIn(_ client: ConsoleClient, _ name: String) async throws {
                #expect(try await client.request("AUTH \(name) \(secrets[name]!)").code == 200)
            }
            let item = try await ConsoleClient.with(unixSocketPath: socket) { (sn: ConsoleClient) async throws -> Int in
                try await signedIn(sn, "a-sn")
                let filed = try await sn.request("ITEM FILE category=direction track=regular title=两台服务器")
                #expect(filed.code == 201, "\(filed.raw)")
                let id = Int(filed.lines[0].split(separator: " ")[1])!
                #expect(try await sn.request("ITEM SUBMIT \(id)").code == 200)
                return id
            }
            try await ConsoleClient.with(host: "127.0.0.1", port: ports[1], connectTimeout: .seconds(60)) { (gs: ConsoleClient) async throws in
                try await signedIn(gs, "a-gs")
                let accepted = try await gs.request("ITEM ACCEPT \(item)")
                #expect(accepted.code == 200, "\(accepted.raw)")
            }
            try await ConsoleClient.with(host: "127.0.0.1", port: ports[0], connectTimeout: .seconds(60)) { (aud: ConsoleClient) async throws in
                try await signedIn(aud, "a-aud")
                let history = try await aud.request("HISTORY item \(item)")
                #expect(
                    history.lines.dropFirst().map { $0.split(separator: " ")[3] } == [
                        "item.file", "item.submit", "item.accept",
                    ])
            }
        }
    }
}
