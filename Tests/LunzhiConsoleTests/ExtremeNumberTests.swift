import Foundation
import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import Testing

/// Security finding 1 (arithmetic on parsed input): every command's every number, date, time,
/// year, id, limit and amount position, filled with extreme values by a signed-in clerk of the
/// chair and an operator on a real database. The server must answer each with a well-formed 4xx
/// (never 500) and keep serving; a trap would end the test process, which the run reports.
@Suite struct ExtremeNumberTests {
    static let extremes = [
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999", "0", "-1",
        "0000-01-01", "1000000000000-01-01", "9223372036854775807-01-01", "9999999-12-31", "1899-12-31",
        "3000-01-01", "5874897-12-31", "2026-02-30", "9999-12-31T23:59:59Z", "1000000-01-01T00:00",
        "-0001-01-01", "1e308", "NaN", "9999999999999999999999亿", "0.000000000000000000001万",
        "2026-13-01", "2026-01-01T25:00",
    ]

    /// The commands as written in docs/console.md, with `N` where a number, date or year goes.
    static let templates = [
        "CHAIR N", "CHAIR SCHEDULE N N", "CHAIR SCHEDULE 2026-01-01 N", "CHAIR PLAN order=SN,GS from=N years=N",
        "CHAIR PLAN order=SN,GS from=2040 years=N", "CHAIR SWAP N N reason=x", "CHAIR SWAP 2027 N reason=x",
        "CHAIR SKIP N reason=x", "CHAIR CONSENT N", "CHAIR ACTING QH from=N to=N reason=x",
        "CHAIR ACTING QH from=2026-06-01 to=N reason=x", "CHAIR REVOKE N reason=x",
        "ITEM LIST year=N", "ITEM LIST limit=N", "ITEM SHOW N", "ITEM SUBMIT N", "ITEM ACCEPT N",
        "ITEM RETURN N reason=x", "ITEM WITHDRAW N reason=x", "ITEM REVISE N title=x",
        "ITEM FILE category=policy track=regular title=x project=N",
        "CONSULT CONVENE kind=meeting at=N deadline=N", "CONSULT CONVENE kind=written deadline=N respond_by=N",
        "CONSULT TABLE N N", "CONSULT OPEN N", "CONSULT POSITION N N agree", "CONSULT DECIDE N N",
        "CONSULT DEFER N N", "CONSULT CLOSE N minutes=x", "CONSULT CANCEL N reason=x", "CONSULT SHOW N",
        "APPROVAL REQUEST project=N track=urgent ask=x", "APPROVAL GRANT N", "APPROVAL DENY N reason=x",
        "APPROVAL SHOW N", "PROJECT ADD name=x amount=N industry=other source=west", "PROJECT STAGE N built",
        "PROJECT SHOW N", "PROJECT LIST limit=N", "REMINDERS limit=N", "REMINDER RETRY N",
        "MEMBERS N", "MEMBER CONTACT REMOVE N", "AUDIT LOG since=N", "AUDIT LOG until=N", "AUDIT LOG after=N",
        "AUDIT LOG limit=N", "AUDIT ASOF N", "AUDIT DECISIONS year=N", "AUDIT VERIFY from=N", "HISTORY item N",
    ]

    @Test func everyNumberPositionWithExtremeValuesGetsA4xx() async throws {
        try await ConsoleHarness.with { h in
            for principal in ["c-gs", "op", "aud"] {
                try await h.client(as: principal) { client in
                    var answered = 0
                    for template in Self.templates {
                        for value in Self.extremes {
                            let line = template.replacingOccurrences(of: "N", with: value)
                            let reply = try await client.request(line)
                            #expect(reply.code < 500, "\(principal): \(line) → \(reply.raw)")
                            answered += 1
                        }
                    }
                    #expect(answered == Self.templates.count * Self.extremes.count)
                    #expect(try await client.request("PING").code == 200)
                }
            }
        }
    }

    /// The findings' own lines, by name and code.
    @Test func theReportedLinesAreRefusedByName() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "c-gs") { client in
                for line in [
                    "CHAIR SCHEDULE 2026-01-01 9223372036854775807-01-01", "ITEM LIST year=9223372036854775807",
                    "AUDIT LOG since=9223372036854775807-01-01", "CHAIR 0000-01-01", "CHAIR 1000000000000-01-01",
                ] {
                    let reply = try await client.request(line)
                    #expect(reply.raw.first?.hasPrefix("400 BAD_ARGUMENT") == true, "\(line) → \(reply.raw)")
                }
                #expect(try await client.request("CHAIR 2026-03-02").code == 200)
            }
        }
    }
}
