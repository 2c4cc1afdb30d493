import Foundation
import LunzhiCore

/// PING, HELP, AUTH, WHOAMI, FORMAT, QUIT, STATUS.
enum SessionCommands {
    /// PING's reply, made once.
    static let pong = ConsoleReply.ok("PONG", data: .string("PONG"))

    static let all: [ConsoleCommand] = [
        ConsoleCommand.immediate("PING", usage: "PING", summary: "Check that the server answers.", requiresAuth: false)
        { _ in pong },
        ConsoleCommand.immediate(
            "HELP", usage: "HELP [command]", summary: "List the commands, or show one command's usage.",
            requiresAuth: false
        ) { call in
            let topic = call.arguments.words.joined(separator: " ").uppercased()
            if topic.isEmpty {
                let lines = CommandTable.commands.map { "\($0.usage) — \($0.summary)" }
                return .ok(
                    "commands (see docs/console.md):", lines: lines,
                    data: .array(CommandTable.commands.map { .string($0.usage) }))
            }
            let matches = CommandTable.commands.filter { $0.name == topic || $0.name.hasPrefix(topic + " ") }
            guard !matches.isEmpty else { return .error(404, "NOT_FOUND", "no command \(topic)") }
            return .ok(
                matches[0].usage, lines: matches.dropFirst().map(\.usage) + matches.map { "\($0.name): \($0.summary)" },
                data: .array(matches.map { .object([("usage", .string($0.usage)), ("summary", .string($0.summary))]) }))
        },
        ConsoleCommand("AUTH", usage: "AUTH <principal> <secret>", summary: "Sign in.", requiresAuth: false) { call in
            let name = try call.arguments.word(0, "principal")
            let secret = try call.arguments.word(1, "secret")
            let id = try await call.service.signIn(name: name, secret: secret, from: call.session.remoteAddress)
            call.session.principal = id
            call.session.principalName = name
            return .ok("signed in as \(name)", data: .object([("principal", .string(name))]))
        },
        ConsoleCommand(
            "WHOAMI", usage: "WHOAMI", summary: "Show the principal, its member, roles, and chair powers today."
        ) { call in
            let profile = try await call.service.profile(call.principal)
            let caller = profile.caller
            let chairIn = profile.chairToday
            var lines: [String] = []
            for grant in caller.grants {
                lines.append(
                    "role \(grant.role.rawValue)" + (grant.member.map { " of \($0) in \(grant.mechanism ?? "")" } ?? "")
                )
            }
            lines.append(
                chairIn.isEmpty ? "no chair powers today" : "chair powers today in \(chairIn.joined(separator: ", "))")
            return .ok(
                caller.name, lines: lines,
                data: .object([
                    ("principal", .string(caller.name)),
                    (
                        "roles",
                        .array(
                            caller.grants.map {
                                .object([
                                    ("role", .string($0.role.rawValue)), ("mechanism", .optional($0.mechanism)),
                                    ("member", .optional($0.member)),
                                ])
                            })
                    ),
                    ("chair_today", .array(chairIn.map(JSONValue.string))),
                ]))
        },
        ConsoleCommand.immediate(
            "FORMAT", usage: "FORMAT text|json", summary: "Switch this connection's reply format.", requiresAuth: false
        ) { call in
            switch try call.arguments.word(0, "text or json").lowercased() {
            case "json": call.session.json = true
            case "text": call.session.json = false
            default: throw ConsoleArgumentError("FORMAT takes text or json")
            }
            return .ok("format \(call.session.json ? "json" : "text")")
        },
        ConsoleCommand.immediate("QUIT", usage: "QUIT", summary: "Close the connection.", requiresAuth: false) { _ in
            ConsoleReply(code: 221, errorName: nil, message: "bye", lines: [], data: .null, closeAfter: true)
        },
        ConsoleCommand("STATUS", usage: "STATUS", summary: "Version, uptime, connections, database round-trip time.") {
            call in
            // Like every signed-in command, only for a principal still enabled (an open session
            // of a principal disabled since is refused here too).
            _ = try await call.service.whoami(call.principal)
            let uptime = Int(Date().timeIntervalSince(call.environment.startedAt))
            let roundTrip = try await call.service.databaseRoundTrip()
            let micros = roundTrip.components.seconds * 1_000_000 + roundTrip.components.attoseconds / 1_000_000_000_000
            return .ok(
                "lunzhi \(call.environment.version)",
                lines: [
                    "uptime \(uptime) s", "connections \(call.environment.connectionCount)",
                    "database round trip \(micros) µs",
                ],
                data: .object([
                    ("version", .string(call.environment.version)), ("uptime_seconds", .int(uptime)),
                    ("connections", .int(call.environment.connectionCount)),
                    ("database_round_trip_us", .int(Int(micros))),
                ]))
        },
    ]
}
