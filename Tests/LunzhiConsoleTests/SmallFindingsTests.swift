import Foundation
import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import Testing

/// Security finding 13: the small ones.
@Suite struct SmallFindingsTests {
    @Test func aDisabledPrincipalsOpenSessionCanRunNothing() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "aud") { client in
                #expect(try await client.request("STATUS").code == 200)
                try await h.fixture.service.disablePrincipal(by: h.fixture.operatorID, name: "aud")
                for line in ["STATUS", "WHOAMI", "CHAIR", "AUDIT LOG"] {
                    let reply = try await client.request(line)
                    #expect(reply.raw.first?.hasPrefix("401 AUTH_FAILED") == true, "\(line) → \(reply.raw)")
                }
            }
        }
    }

    @Test func aRawControlCharacterInsideQuotesIsSaidToBeInsideQuotes() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "c-qh") { client in
                try await client.sendRaw(Array("ITEM FILE category=policy track=regular title=\"a\rb\"\r\n".utf8))
                let inside = try await client.readReply()
                #expect(inside?.raw.first?.contains("inside quotes") == true, "\(inside?.raw ?? [])")
                try await client.sendRaw(Array("ITEM FILE category=policy\u{1} track=regular title=x\r\n".utf8))
                let outside = try await client.readReply()
                #expect(outside?.raw.first?.contains("outside quotes") == true, "\(outside?.raw ?? [])")
            }
        }
    }

    /// Bidi overrides, zero-width characters and U+2028 are stored as given and shown escaped in
    /// text replies (JSON replies carry them as JSON strings).
    @Test func invisibleCharactersAreEscapedInTextReplies() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "c-qh") { client in
                let filed = try await client.request(
                    "ITEM FILE category=policy track=regular title=\"evil\u{202E}txt.exe zero\u{200B}width line\u{2028}sep\"")
                #expect(filed.code == 201, "\(filed.raw)")
                let shown = try await client.request("ITEM LIST")
                let text = shown.raw.joined(separator: "\n")
                #expect(text.contains("evil\\u{202E}txt.exe zero\\u{200B}width line\\u{2028}sep"), "\(text)")
                #expect(!text.unicodeScalars.contains { [0x202E, 0x200B, 0x2028].contains($0.value) })
                let stored: String = try await h.fixture.pool.query("SELECT title FROM agenda_item ORDER BY id DESC LIMIT 1")
                    .single().decode("title")
                #expect(stored == "evil\u{202E}txt.exe zero\u{200B}width line\u{2028}sep")
            }
        }
    }
}
