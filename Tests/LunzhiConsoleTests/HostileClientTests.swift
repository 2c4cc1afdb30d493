import Foundation
import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// Fault scenarios of issue 9 that are fast enough to be tests: clients that misbehave, many
/// connections at once, and a database that refuses writes. Each ends by checking the server
/// still serves the others and, where data is involved, what is stored.
@Suite struct HostileClientTests {
    /// Bytes of an unfinished line do not reset the idle timeout: a client that trickles a line
    /// one byte at a time is closed like a silent one.
    @Test func aTricklingClientIsCutOffByTheIdleTimeout() async throws {
        try await ConsoleHarness.with(configuration: .init(port: 0, idleTimeout: .seconds(1))) { h in
            let socket = try RawSocket(port: h.port)
            #expect(await socket.readLine()?.hasPrefix("220 ") == true)
            let started = ContinuousClock.now
            // One byte every 100 ms, never a line break, for up to 8 s; stop when the server speaks.
            var cutOff = false
            for byte in String(repeating: "PING ", count: 16).utf8 where ContinuousClock.now - started < .seconds(8) {
                guard await socket.send([byte]) else { break }
                try await Task.sleep(for: .milliseconds(100))
                if socket.hasData() {
                    cutOff = true
                    break
                }
            }
            #expect(cutOff, "the server let a trickling client go on")
            #expect(await socket.readLine() == "421 IDLE_TIMEOUT no request for too long; closing")
            #expect(await socket.readLine() == nil)
            // Others are still served. The idle timeout is 1 s here, so on a loaded machine a new
            // connection can itself be closed before its first line arrives: a few attempts.
            var served = false
            for _ in 0..<5 where !served {
                served =
                    (try? await h.client { (client: ConsoleClient) async throws in
                        try await client.request("PING").code == 200
                    }) ?? false
            }
            #expect(served)
        }
    }

    /// A client that sends requests and never reads the replies: the server stops reading from it
    /// once its writes block, closes it after the write timeout, and serves others meanwhile.
    @Test func aClientThatNeverReadsIsClosedWithoutHurtingOthers() async throws {
        let configuration = ConsoleServer.Configuration(port: 0, writeTimeout: .seconds(1))
        try await ConsoleHarness.with(configuration: configuration) { h in
            let greedy = try RawSocket(port: h.port, buffers: 4096)
            // Up to 10,000,000 HELP requests (about 30 GB of replies), sent without reading
            // anything. Sending stops once the server stops reading (the send blocks) or closes.
            let request = Array(String(repeating: "HELP\r\n", count: 100).utf8)
            var sent = 0
            while sent < 100_000, await greedy.send(request, timeout: .milliseconds(500)) { sent += 1 }
            #expect(sent < 100_000, "the server kept reading from a client that does not read")
            try await h.client(as: "c-gs") { other in
                #expect(try await other.request("PING").code == 200)
                #expect(try await other.request("CHAIR").code == 200)
                // Within a few seconds the server has closed the greedy connection: only this one is left.
                var connections = ""
                for _ in 0..<50 {
                    connections = try await other.request("STATUS").lines.first { $0.hasPrefix("connections ") } ?? ""
                    if connections == "connections 1" { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(connections == "connections 1")
            }
            // What the greedy client can still read ends (EOF or reset), well short of 60 MB.
            let received = await greedy.drain()
            #expect(received < 20 * 1024 * 1024, "received \(received) bytes")
            if ProcessInfo.processInfo.environment["LUNZHI_TEST_REPORT"] != nil {
                print(
                    "never-reading client: sent \(sent * request.count) bytes of requests before the server stopped reading; "
                        + "received \(received) bytes of replies (of \(sent * 100) HELP replies asked for) before it was closed"
                )
            }
        }
    }

    /// 1,000 connection attempts at once against a limit of 100: never more than 100 are greeted
    /// with 220, the others get 421 and are closed, and the accepted ones are all served. On a
    /// loaded machine the kernel's accept queue can overflow and reset a few attempts before the
    /// server sees them; those are counted apart and must stay few.
    @Test func aThousandConnectionsAtOnce() async throws {
        RawSocket.raiseDescriptorLimit(to: 4096)
        // All from 127.0.0.1: the per-address cap is lifted here (tested in AdmissionTests). Of
        // the 100 places, 25 are kept for signed-in sessions, so 75 take unauthenticated clients.
        try await ConsoleHarness.with(configuration: .init(port: 0, maximumConnections: 100, authTimeout: .seconds(300), maximumPerAddress: 1000)) {
            h in
            let answered = CountdownLatch(count: 1000)
            let results = await withTaskGroup(of: Attempt.self) { group in
                for _ in 0..<1000 {
                    group.addTask {
                        do {
                            return try await ConsoleClient.with(host: "127.0.0.1", port: h.port, connectTimeout: .seconds(60)) { client in
                                let greeting = client.greeting
                                await answered.arrive()
                                guard greeting.hasPrefix("220 ") else { return Attempt.refused(greeting) }
                                // Hold the connection until every attempt has its answer.
                                await answered.wait()
                                do {
                                    return .accepted(ping: try await client.request("PING").code)
                                } catch {
                                    return .accepted(ping: -1)  // closed before its PING was answered
                                }
                            }
                        } catch {
                            await answered.arrive()
                            return .failed(String(describing: error))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            var pings: [Int] = []
            var refusals: [String] = []
            var failures: [String] = []
            for result in results {
                switch result {
                case .accepted(let ping): pings.append(ping)
                case .refused(let greeting): refusals.append(greeting)
                case .failed(let error): failures.append(error)
                }
            }
            #expect(pings.count <= 75)
            #expect(pings.count + failures.count >= 75, "fewer than 75 accepted")
            #expect(refusals.allSatisfy { $0.hasPrefix("421 TOO_MANY_CONNECTIONS") })
            #expect(failures.count <= 50, "\(failures.count) attempts failed: \(Set(failures))")
            let unanswered = pings.filter { $0 != 200 }.count
            #expect(unanswered == 0, "\(unanswered) accepted connections did not answer PING")
            if ProcessInfo.processInfo.environment["LUNZHI_TEST_REPORT"] != nil {
                print(
                    "1,000 connections: \(pings.count) accepted, \(refusals.count) refused, "
                        + "\(failures.count) failed \(Set(failures))")
            }
            // The 1,000 have closed; once the server has seen them go (it frees a slot when it
            // reads the close), a new connection is greeted and served.
            var served = false
            for _ in 0..<600 where !served {
                served = try await h.client { (client: ConsoleClient) async throws -> Bool in
                    guard client.greeting.hasPrefix("220 ") else { return false }
                    return try await client.request("PING").code == 200
                }
                if !served { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(served, "no new connection was served within 30 s")
        }
    }

    private enum Attempt: Sendable {
        case accepted(ping: Int)
        case refused(String)
        case failed(String)
    }

    /// A database that turns read-only (`default_transaction_read_only`, as on a standby or during
    /// maintenance): changes get 503 DATABASE_READ_ONLY and leave nothing behind, reads still work,
    /// and writes work again once it is writable.
    @Test func aReadOnlyDatabaseRefusesChangesCleanly() async throws {
        try await ConsoleHarness.with { h in
            let database = h.fixture.database.name
            func setReadOnly(_ on: Bool) async throws {
                try await PostgresConnection.with(PostgresConfiguration(connectionString: "dbname=postgres")) { admin in
                    try await admin.runScript(
                        "ALTER DATABASE \(try await admin.escapeIdentifier(database)) SET default_transaction_read_only = \(on ? "on" : "off")"
                    )
                    // Sessions read the setting when they start: end the pool's sessions.
                    try await admin.query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [database])
                    // Until they are gone, so the pools see their connections closed.
                    while try await admin.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1", [database])
                        .count > 0
                    {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
            }
            try await h.client(as: "c-gs") { client in
                #expect(try await client.request("ITEM FILE category=direction track=regular title=before").code == 201)
                let itemsBefore = try await h.fixture.pool.query("SELECT count(*) AS n FROM agenda_item").single()
                    .decode("n", as: Int.self)
                let eventsBefore = try await h.fixture.pool.query("SELECT count(*) AS n FROM audit_event").single()
                    .decode("n", as: Int.self)
                try await setReadOnly(true)
                let refused = try await client.request("ITEM FILE category=direction track=regular title=during")
                #expect(refused.code == 503)
                #expect(refused.raw.first?.hasPrefix("503 DATABASE_READ_ONLY") == true, "\(refused.raw)")
                #expect(try await client.request("ITEM SHOW 1").code == 200)
                try await setReadOnly(false)
                #expect(
                    try await h.fixture.pool.query("SELECT count(*) AS n FROM agenda_item").single()
                        .decode("n", as: Int.self) == itemsBefore)
                #expect(
                    try await h.fixture.pool.query("SELECT count(*) AS n FROM audit_event").single()
                        .decode("n", as: Int.self) == eventsBefore)
                #expect(try await client.request("ITEM FILE category=direction track=regular title=after").code == 201)
            }
        }
    }
}
