import Foundation
import Logging
import LunzhiAudit
import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import NIOCore
import PostgresLibPQ
import Testing

/// A console server on a random loopback port over a fixture's service, for one test.
struct ConsoleHarness {
    let fixture: MechanismFixture
    let port: Int
    /// Principal name → secret, for AUTH.
    let secrets: [String: String]

    static func with(
        start: CalendarDate = .day("2026-03-02"), configuration: ConsoleServer.Configuration = .init(port: 0),
        auditKey: SignedNote.Verifier? = nil, _ body: (ConsoleHarness) async throws -> Void
    ) async throws {
        try await MechanismFixture.with(start: start) { fixture in
            // Principals with known secrets: one clerk per member, an auditor, an operator.
            var secrets: [String: String] = [:]
            for member in MechanismFixture.order {
                let name = "c-\(member.lowercased())"
                secrets[name] = try await fixture.addConfirmedClerk(name: name, member: member).secret
            }
            secrets["aud"] = try await fixture.service.addPrincipal(by: fixture.operatorID, name: "aud", role: .auditor)
                .secret
            secrets["op"] = try await fixture.service.addPrincipal(by: fixture.operatorID, name: "op", role: .operator)
                .secret
            try await MechanismFixture.clearSetupReminders(fixture.pool)
            try await serving(fixture.service, configuration: configuration, auditKey: auditKey) { port in
                try await body(ConsoleHarness(fixture: fixture, port: port, secrets: secrets))
            }
        }
    }

    /// Runs a console server over `service` on a random loopback port while `body` runs.
    static func serving(
        _ service: Cooperation, configuration: ConsoleServer.Configuration = .init(port: 0),
        auditKey: SignedNote.Verifier? = nil, _ body: (Int) async throws -> Void
    ) async throws {
        // Connections that never sign in are closed after 10 s by default; inside the loaded
        // parallel suite (web, witnesses, browser) a test's own steps were seen to take longer,
        // so only tests that ask for a sign-in timeout get one that short (AdmissionTests).
        var configuration = configuration
        if configuration.authTimeout == ConsoleServer.Configuration(port: 0).authTimeout {
            configuration.authTimeout = .seconds(600)
        }
        let environment = ConsoleEnvironment(service: service, version: "test", auditKey: auditKey)
        var logger = Logger(label: "test.console")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = ConsoleServer(configuration: configuration, environment: environment, logger: logger) {
            address in
            continuation.yield(address.port ?? 0)
            continuation.finish()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw ConsoleClientError.closed }
            try await body(port)
            group.cancelAll()
        }
    }

    /// A client, signed in as `principal` when given.
    func client<T: Sendable>(as principal: String? = nil, _ body: (ConsoleClient) async throws -> T) async throws -> T {
        try await ConsoleClient.with(host: "127.0.0.1", port: port, connectTimeout: .seconds(60)) { client in
            if let principal {
                let reply = try await client.request("AUTH \(principal) \(secrets[principal]!)")
                #expect(reply.code == 200, "AUTH \(principal): \(reply.raw)")
            }
            return try await body(client)
        }
    }
}

/// Checks that a text reply is well formed: every line `CCC-…` but the last, `CCC …`, same code.
func isWellFormed(_ text: String) -> Bool {
    var lines = text.components(separatedBy: "\r\n")
    guard lines.last == "" else { return false }
    lines.removeLast()
    guard !lines.isEmpty else { return false }
    let code = lines[0].prefix(3)
    guard code.count == 3, code.allSatisfy(\.isNumber) else { return false }
    for (index, line) in lines.enumerated() {
        let chars = Array(line)
        guard chars.count >= 4, String(chars[0..<3]) == code, !line.contains("\r"), !line.contains("\n") else {
            return false
        }
        guard chars[3] == (index == lines.count - 1 ? " " : "-") else { return false }
    }
    return true
}
