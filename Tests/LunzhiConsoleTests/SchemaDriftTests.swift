import Foundation
import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import Testing

/// A word in the database that the code does not know (the schema and the code have drifted)
/// fails the one request that reads it — `500 INTERNAL` with a request id — and the server goes
/// on serving. Before, a force-unwrapped raw value trapped the process.
@Suite struct SchemaDriftTests {
    @Test func anUnknownStateFailsOneRequestNotTheServer() async throws {
        try await ConsoleHarness.with { h in
            let (drifted, sound) = try await h.client(as: "c-qh") { client in
                let a = try await client.request("ITEM FILE category=policy track=regular title=甲")
                let b = try await client.request("ITEM FILE category=policy track=regular title=乙")
                // "201 item 7 filed; state draft"
                return (
                    try #require(Int(a.raw[0].split(separator: " ")[2])),
                    try #require(Int(b.raw[0].split(separator: " ")[2]))
                )
            }
            try await h.fixture.pool.query(
                """
                DO $$ DECLARE c text; BEGIN
                  FOR c IN SELECT conname FROM pg_constraint
                           WHERE conrelid = 'agenda_item'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%state%'
                  LOOP EXECUTE format('ALTER TABLE agenda_item DROP CONSTRAINT %I', c); END LOOP;
                END $$
                """)
            try await h.fixture.pool.query("UPDATE agenda_item SET state = 'frozen' WHERE id = $1", [drifted])
            try await h.client(as: "c-qh") { client in
                let reply = try await client.request("ITEM SHOW \(drifted)")
                #expect(reply.raw.first?.hasPrefix("500 INTERNAL internal error; request ") == true, "\(reply.raw)")
                #expect(try await client.request("PING").code == 200)
                #expect(try await client.request("ITEM SHOW \(sound)").code == 200)
            }
        }
    }
}
