import Foundation
import Logging
@testable import LunzhiOperations
import LunzhiTestSupport
import NIOCore
import Testing

/// Security finding 6: the health and metrics port has a connection cap and a header timeout.
@Suite struct HealthLimitTests {
    @Test func halfSentRequestsAreCutOffAndTheCapHolds() async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = HealthServer(
            host: "127.0.0.1", port: 0, logger: Logger(label: "test.health"),
            readiness: { .init(ready: true, detail: "ready") }, metrics: { [] }, maximumConnections: 4,
            headerTimeout: .seconds(5)
        ) { port in
            continuation.yield(port)
            continuation.finish()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let halves = try (0..<4).map { _ in try RawSocket(port: port) }
            for socket in halves { _ = await socket.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\n".utf8)) }
            // Until the server holds all four (a loaded machine accepts slowly).
            while server.open.current < 4 { try await Task.sleep(for: .milliseconds(10)) }
            // The fifth is closed at once, without an answer.
            let fifth = try RawSocket(port: port)
            _ = await fifth.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(await fifth.readLine() == nil)
            // The half-sent ones are closed by the server, which has no reason to but the header
            // timeout (5 s here, so that on a loaded machine none is cut off before the fifth
            // arrives; alone this takes 5 s, inside the loaded parallel suite it was
            // seen to take far longer, so the bound is generous); then a whole request is answered.
            for socket in halves { #expect(await socket.closedByPeer(within: .seconds(60))) }
            var answered = false
            for _ in 0..<50 where !answered {
                let whole = try RawSocket(port: port)
                _ = await whole.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
                answered = await whole.readLine() == "HTTP/1.1 200 OK"
                if !answered { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(answered)
            group.cancelAll()
        }
    }
}
