import Foundation

/// Every setting of the two long-running commands, `serve` and `remind`: its flag, its environment
/// variable and its config-file key. A flag on the command line wins; else the environment; else
/// the config file (`--config FILE` or `LUNZHI_CONFIG`; `key = value` lines, `#` comments).
/// docs/configuration.md is this table in prose (a test keeps them in step). Values are checked
/// here, before the command runs, so a bad one stops the start with a message naming its key.
struct Setting: Sendable {
    enum Kind: Sendable {
        case text, integer, number, hostPort, file, flag
    }
    /// The config-file key; the environment variable is `LUNZHI_` + the key in capitals.
    let key: String
    let flag: String
    let commands: Set<String>
    let kind: Kind
    /// Never printed (a database URL may carry a password).
    var secret = false
    /// The default as docs/configuration.md shows it (from `SettingDefaults`); nil: none.
    var defaultValue: String? = nil

    var environmentName: String { "LUNZHI_" + key.uppercased() }

    static let all: [Setting] = [
        Setting(key: "database_url", flag: "--database-url", commands: ["serve", "remind"], kind: .text, secret: true),
        Setting(key: "log_level", flag: "--log-level", commands: ["serve", "remind"], kind: .text, defaultValue: SettingDefaults.logLevel),
        Setting(key: "log_format", flag: "--log-format", commands: ["serve", "remind"], kind: .text, defaultValue: SettingDefaults.logFormat),
        Setting(key: "listen", flag: "--listen", commands: ["serve"], kind: .hostPort, defaultValue: SettingDefaults.listen),
        Setting(key: "tls_cert", flag: "--tls-cert", commands: ["serve"], kind: .file),
        Setting(key: "tls_key", flag: "--tls-key", commands: ["serve"], kind: .file),
        Setting(key: "tls_client_ca", flag: "--tls-client-ca", commands: ["serve"], kind: .file),
        Setting(key: "unix_socket", flag: "--unix-socket", commands: ["serve"], kind: .text),
        Setting(key: "max_connections", flag: "--max-connections", commands: ["serve"], kind: .integer, defaultValue: String(SettingDefaults.maxConnections)),
        Setting(key: "idle_timeout", flag: "--idle-timeout", commands: ["serve"], kind: .integer, defaultValue: String(SettingDefaults.idleTimeout)),
        Setting(key: "auth_timeout", flag: "--auth-timeout", commands: ["serve"], kind: .integer, defaultValue: String(SettingDefaults.authTimeout)),
        Setting(
            key: "max_connections_per_address", flag: "--max-connections-per-address", commands: ["serve"],
            kind: .integer, defaultValue: String(SettingDefaults.maxConnectionsPerAddress)),
        Setting(key: "write_timeout", flag: "--write-timeout", commands: ["serve"], kind: .integer, defaultValue: String(SettingDefaults.writeTimeout)),
        Setting(key: "pool_size", flag: "--pool-size", commands: ["serve"], kind: .integer, defaultValue: String(SettingDefaults.servePoolSize)),
        Setting(
            key: "read_database_url", flag: "--read-database-url", commands: ["serve"], kind: .text, secret: true),
        Setting(key: "audit_key", flag: "--audit-key", commands: ["serve"], kind: .file),
        Setting(key: "web_listen", flag: "--web-listen", commands: ["serve"], kind: .text, defaultValue: SettingDefaults.webListen),
        Setting(key: "web_tls_cert", flag: "--web-tls-cert", commands: ["serve"], kind: .file),
        Setting(key: "web_tls_key", flag: "--web-tls-key", commands: ["serve"], kind: .file),
        Setting(key: "web_session_idle", flag: "--web-session-idle", commands: ["serve"], kind: .integer, defaultValue: String(SettingDefaults.webSessionIdle)),
        Setting(key: "web_session_max", flag: "--web-session-max", commands: ["serve"], kind: .integer, defaultValue: String(SettingDefaults.webSessionMax)),
        Setting(key: "checkpoint_log", flag: "--checkpoint-log", commands: ["serve", "remind"], kind: .text),
        Setting(key: "metrics_listen", flag: "--metrics-listen", commands: ["serve"], kind: .hostPort, defaultValue: SettingDefaults.serveMetricsListen),
        Setting(key: "remind_metrics_listen", flag: "--metrics-listen", commands: ["remind"], kind: .hostPort, defaultValue: SettingDefaults.remindMetricsListen),
        Setting(key: "remind_pool_size", flag: "--pool-size", commands: ["remind"], kind: .integer, defaultValue: String(SettingDefaults.remindPoolSize)),
        Setting(key: "poll_only", flag: "--poll-only", commands: ["remind"], kind: .flag, defaultValue: "false"),
        Setting(key: "poll_interval", flag: "--poll-interval", commands: ["remind"], kind: .number, defaultValue: SettingDefaults.text(SettingDefaults.pollInterval)),
        Setting(key: "batch_size", flag: "--batch-size", commands: ["remind"], kind: .integer, defaultValue: String(SettingDefaults.batchSize)),
        Setting(key: "claimers", flag: "--claimers", commands: ["remind"], kind: .integer, defaultValue: String(SettingDefaults.claimers)),
        Setting(key: "lease", flag: "--lease", commands: ["remind"], kind: .number, defaultValue: SettingDefaults.text(SettingDefaults.lease)),
        Setting(key: "retention_days", flag: "--retention-days", commands: ["remind"], kind: .number, defaultValue: SettingDefaults.text(SettingDefaults.retentionDays)),
        Setting(key: "sendmail", flag: "--sendmail", commands: ["remind"], kind: .text, defaultValue: SettingDefaults.sendmail),
        Setting(key: "mail_from", flag: "--mail-from", commands: ["remind"], kind: .text, defaultValue: SettingDefaults.mailFrom),
        Setting(key: "webhook_allow_cidr", flag: "--webhook-allow-cidr", commands: ["serve", "remind"], kind: .text),
        Setting(key: "file_channel_dir", flag: "--file-channel-dir", commands: ["remind"], kind: .text),
        Setting(key: "checkpoint_key", flag: "--checkpoint-key", commands: ["remind"], kind: .file),
        Setting(key: "checkpoint_origin", flag: "--checkpoint-origin", commands: ["remind"], kind: .text, defaultValue: SettingDefaults.checkpointOrigin),
        Setting(key: "checkpoint_notify", flag: "--checkpoint-notify", commands: ["remind"], kind: .flag, defaultValue: "false"),
        Setting(key: "witness", flag: "--witness", commands: ["remind"], kind: .text),
        Setting(key: "witness_quorum", flag: "--witness-quorum", commands: ["remind"], kind: .integer),
        Setting(key: "witness_timeout", flag: "--witness-timeout", commands: ["remind"], kind: .integer, defaultValue: "5"),
        Setting(key: "tiles_dir", flag: "--tiles-dir", commands: ["remind"], kind: .text),
        Setting(key: "checkpoint_interval", flag: "--checkpoint-interval", commands: ["remind"], kind: .number, defaultValue: SettingDefaults.text(SettingDefaults.checkpointInterval)),
        Setting(key: "verify_interval", flag: "--verify-interval", commands: ["remind"], kind: .number, defaultValue: SettingDefaults.text(SettingDefaults.verifyInterval)),
    ]

    /// Environment variables Lunzhi reads that are not settings of serve or remind.
    /// Also known: the browser test's (where screenshots go; which chromium) are not settings but
    /// are set around the binary in test runs.
    static let otherVariables: Set<String> = [
        "LUNZHI_CONFIG", "LUNZHI_SECRET", "LUNZHI_MIGRATIONS_DIR", "LUNZHI_SCREENSHOTS", "LUNZHI_CHROMIUM",
    ]

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The arguments with the environment's and the config file's settings added for the flags
    /// the command line did not give. Only `serve` and `remind` take settings this way (the other
    /// commands read `LUNZHI_DATABASE_URL` and `LUNZHI_LOG_LEVEL` themselves).
    static func apply(to arguments: [String], environment: [String: String]) throws -> [String] {
        guard let command = arguments.first, ["serve", "remind"].contains(command) else { return arguments }
        var arguments = arguments
        var configPath = environment["LUNZHI_CONFIG"]
        if let index = arguments.firstIndex(where: { $0 == "--config" || $0.hasPrefix("--config=") }) {
            if arguments[index] == "--config" {
                guard index + 1 < arguments.count else { throw Problem(description: "--config needs a file") }
                configPath = arguments[index + 1]
                arguments.removeSubrange(index...(index + 1))
            } else {
                configPath = String(arguments[index].dropFirst("--config=".count))
                arguments.remove(at: index)
            }
        }
        let file = try configPath.map(readConfig) ?? [:]
        let given = Set(arguments.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
        for setting in all where setting.commands.contains(command) && !given.contains(setting.flag) {
            let value: String
            let source: String
            if let fromEnvironment = environment[setting.environmentName] {
                (value, source) = (fromEnvironment, setting.environmentName)
            } else if let fromFile = file[setting.key] {
                (value, source) = (fromFile.value, "\(setting.key) (\(configPath ?? ""):\(fromFile.line))")
            } else {
                continue
            }
            try setting.check(value, source: source)
            if setting.kind == .flag {
                if ["1", "true", "yes", "on"].contains(value.lowercased()) { arguments.append(setting.flag) }
            } else {
                arguments += [setting.flag, value]
            }
        }
        return arguments
    }

    func check(_ value: String, source: String) throws {
        func bad(_ what: String) -> Problem {
            Problem(description: "\(source) = \(secret ? "(hidden)" : "'\(value)'"): \(what)")
        }
        switch kind {
        case .text:
            guard !value.isEmpty else { throw bad("must not be empty") }
        case .integer:
            guard let n = Int(value), n > 0 else { throw bad("must be a positive whole number") }
        case .number:
            guard let n = Double(value), n > 0, n.isFinite else { throw bad("must be a positive number") }
        case .hostPort:
            if value.lowercased() == "off" && flag == "--metrics-listen" { return }
            guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]),
                (0...65535).contains(port), colon != value.startIndex
            else { throw bad("must be HOST:PORT, e.g. 127.0.0.1:7707") }
        case .file:
            guard FileManager.default.isReadableFile(atPath: value) else { throw bad("no readable file there") }
        case .flag:
            guard ["1", "true", "yes", "on", "0", "false", "no", "off"].contains(value.lowercased()) else {
                throw bad("must be true or false")
            }
        }
    }

    /// `key = value` lines; `#` starts a comment line; an unknown key stops the start.
    static func readConfig(_ path: String) throws -> [String: (value: String, line: Int)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Problem(description: "cannot read the config file \(path)")
        }
        let known = Set(all.map(\.key))
        var values: [String: (String, Int)] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw Problem(description: "\(path):\(number + 1): expected key = value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            guard known.contains(key) else {
                let suggestion =
                    known.min { distance($0, key) < distance($1, key) }.map { " (did you mean \($0)?)" } ?? ""
                throw Problem(description: "\(path):\(number + 1): unknown setting '\(key)'\(suggestion)")
            }
            values[key] = (value, number + 1)
        }
        return values
    }

    /// Unknown LUNZHI_* variables: probably a typo; warned about, not fatal (tests and tools set others).
    static func unknownVariables(in environment: [String: String]) -> [String] {
        let known = Set(all.map(\.environmentName)).union(otherVariables)
        return environment.keys.filter {
            $0.hasPrefix("LUNZHI_") && !$0.hasPrefix("LUNZHI_TEST_") && !$0.hasPrefix("LUNZHI_BENCH_")
                && !known.contains($0)
        }
        .sorted()
    }

    /// Edit distance, for "did you mean …?".
    static func distance(_ a: String, _ b: String) -> Int {
        let b = Array(b)
        var row = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var diagonal = row[0]
            row[0] = i + 1
            for (j, y) in b.enumerated() {
                let above = row[j + 1]
                row[j + 1] = min(above + 1, row[j] + 1, diagonal + (x == y ? 0 : 1))
                diagonal = above
            }
        }
        return row[b.count]
    }
}
