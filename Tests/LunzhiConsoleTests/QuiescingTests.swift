import Foundation
import Logging
import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import ServiceLifecycle
import Testing

/// On SIGTERM (the service group's graceful shutdown) a request in flight finishes and gets its
/// reply before its connection closes; an idle connection is told 421 SHUTTING_DOWN.
@Suite struct QuiescingTests {
    @Test func aRequestInFlightAtShutdownIsAnswered() async throws {
        try await MechanismFixture.with { f in
            let secret = try await f.service.addPrincipal(by: f.operatorID, name: "aud2", role: .auditor).secret
            var logger = Logger(label: "test.quiesce")
            logger.logLevel = .critical
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let server = ConsoleServer(
                configuration: .init(port: 0), environment: ConsoleEnvironment(service: f.service, version: "test"),
                logger: logger
            ) { address in
                continuation.yield(address.port ?? 0)
                continuation.finish()
            }
            let group = ServiceGroup(services: [server], logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                let busy = try RawSocket(port: port)
                let idle = try RawSocket(port: port)
                #expect(await busy.readLine()?.hasPrefix("220 ") == true)
                #expect(await idle.readLine()?.hasPrefix("220 ") == true)
                _ = await busy.send(Array("AUTH aud2 \(secret)\r\n".utf8))
                #expect(await busy.readLine()?.hasPrefix("200 ") == true)
                // Hold the table, so the request waits in the database when shutdown begins.
                try await PostgresConnection.with(f.database.configuration) { blocker in
                    try await blocker.query("BEGIN")
                    try await blocker.query("LOCK TABLE audit_event IN ACCESS EXCLUSIVE MODE")
                    _ = await busy.send(Array("AUDIT LOG limit=1\r\n".utf8))
                    try await Task.sleep(for: .milliseconds(300))
                    await group.triggerGracefulShutdown()
                    #expect(await idle.readLine()?.hasPrefix("421 SHUTTING_DOWN") == true)
                    try await Task.sleep(for: .milliseconds(300))
                    try await blocker.query("COMMIT")
                }
                var lines: [String] = []
                while let line = await busy.readLine() { lines.append(line) }
                #expect(lines.first?.hasPrefix("200") == true, "\(lines)")
                #expect(lines.last?.hasPrefix("421 SHUTTING_DOWN") == true, "\(lines)")
                try await tasks.waitForAll()
            }
        }
    }
}
