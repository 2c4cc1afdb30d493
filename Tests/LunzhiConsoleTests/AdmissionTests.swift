import Foundation
import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import NIOCore
import Testing

/// Security finding 6: connections that have not signed in cannot hold the console.
@Suite struct AdmissionTests {
    @Test func aConnectionThatDoesNotSignInIsClosed() async throws {
        try await ConsoleHarness.with(configuration: .init(port: 0, authTimeout: .seconds(2))) { h in
            let idle = try RawSocket(port: h.port)
            #expect(await idle.readLine()?.hasPrefix("220 ") == true)
            _ = await idle.send(Array("PING\r\n".utf8))
            // PING keeps nothing alive: only signing in does. (On a loaded machine the 2 s may run
            // out before the PING is answered: then the 421 comes alone.)
            var lines: [String] = []
            while let line = await idle.readLine() { lines.append(line) }
            #expect(lines.last?.hasPrefix("421 AUTH_TIMEOUT") == true, "\(lines)")
            #expect(lines.dropLast().allSatisfy { $0 == "200 PONG" }, "\(lines)")
            // A client that signs in stays past the timeout. (Its AUTH must arrive within the 2 s:
            // on a machine stalled longer than that it is closed too, rightly, and tries again.)
            var signedIn = false
            // A connection the server closed before the AUTH came ("I/O on closed channel") is
            // such a stall too, and is tried again.
            for _ in 0..<5 where !signedIn {
                do {
                    try await ConsoleClient.with(host: "127.0.0.1", port: h.port, connectTimeout: .seconds(60)) { client in
                        guard try await client.request("AUTH c-gs \(h.secrets["c-gs"]!)").code == 200 else { return }
                        signedIn = true
                        try await Task.sleep(for: .seconds(3))
                        #expect(try await client.request("PING").code == 200)
                    }
                } catch where !signedIn {
                    continue
                }
            }
            #expect(signedIn)
        }
    }

    @Test func oneAddressHasItsCap() async throws {
        try await ConsoleHarness.with(configuration: .init(port: 0, maximumPerAddress: 3)) { h in
            let held = try (0..<3).map { _ in try RawSocket(port: h.port) }
            for socket in held { #expect(await socket.readLine()?.hasPrefix("220 ") == true) }
            let fourth = try RawSocket(port: h.port)
            #expect(await fourth.readLine()?.hasPrefix("421 TOO_MANY_CONNECTIONS 3 connections from your address") == true)
            _ = held
        }
    }

    /// 8 places, 2 kept for signed-in sessions: 6 idle connections fill the rest; the 7th is
    /// refused; once one of the six signs in, a new one is greeted.
    @Test func signedInSessionsKeepTheirShare() async throws {
        try await ConsoleHarness.with(configuration: .init(port: 0, maximumConnections: 8)) { h in
            let idle = try (0..<6).map { _ in try RawSocket(port: h.port) }
            for socket in idle { #expect(await socket.readLine()?.hasPrefix("220 ") == true) }
            let seventh = try RawSocket(port: h.port)
            #expect(await seventh.readLine()?.contains("kept for signed-in sessions") == true)
            _ = await idle[0].send(Array("AUTH c-sn \(h.secrets["c-sn"]!)\r\n".utf8))
            #expect(await idle[0].readLine()?.hasPrefix("200 ") == true)
            var greeted = false
            for _ in 0..<50 where !greeted {
                let next = try RawSocket(port: h.port)
                greeted = await next.readLine()?.hasPrefix("220 ") == true
                if !greeted { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(greeted)
        }
    }
}
