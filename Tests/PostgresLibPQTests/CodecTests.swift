import Foundation
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct CodecTests {
    /// Sends `value` as a parameter cast to `type`, reads it back, and returns the decoded value.
    func roundTrip<T: PostgresEncodable & PostgresDecodable>(
        _ connection: PostgresConnection, _ value: T, _ type: String
    ) async throws -> T {
        try await connection.query("SELECT $1::\(type) AS v", [value]).single().decode("v", as: T.self)
    }

    @Test func everyTypeRoundTripsWithNull() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let c = try await PostgresConnection.connect(database.configuration)
            defer { Task { await c.close() } }
            #expect(try await roundTrip(c, "你好, world", "text") == "你好, world")
            #expect(try await roundTrip(c, true, "bool") == true)
            #expect(try await roundTrip(c, false, "bool") == false)
            #expect(try await roundTrip(c, Int16.min, "int2") == Int16.min)
            #expect(try await roundTrip(c, Int32.max, "int4") == Int32.max)
            #expect(try await roundTrip(c, Int64.min, "int8") == Int64.min)
            #expect(try await roundTrip(c, Int.max, "int8") == Int.max)
            #expect(try await roundTrip(c, Double(0.1) + 0.2, "float8") == 0.1 + 0.2)
            #expect(try await roundTrip(c, Double(-1.5e300), "float8") == -1.5e300)
            #expect(try await roundTrip(c, Double.infinity, "float8") == .infinity)
            #expect(try await roundTrip(c, Double.nan, "float8").isNaN)
            let exact = Decimal(string: "12345678901234567890.123456789")!
            #expect(try await roundTrip(c, exact, "numeric") == exact)
            #expect(
                try await roundTrip(c, Decimal(string: "3855")! * Decimal(string: "100000000")!, "numeric(20,2)")
                    == Decimal(string: "385500000000")!)
            // 0.1 + 0.2 in numeric is exactly 0.3: no binary floating point on the way.
            let sum: Decimal = try await c.query(
                "SELECT $1::numeric + $2::numeric AS v", [Decimal(string: "0.1")!, Decimal(string: "0.2")!]
            ).single().decode("v")
            #expect(sum == Decimal(string: "0.3")!)
            let instant = Date(timeIntervalSince1970: 1_767_196_800.123456)  // 2026-01-01T00:00:00.123456+08:00
            let back = try await roundTrip(c, instant, "timestamptz")
            #expect(PostgresTimestamp.microseconds(back) == PostgresTimestamp.microseconds(instant))
            let date = CalendarDate(year: 2024, month: 2, day: 29)!
            #expect(try await roundTrip(c, date, "date") == date)
            let uuid = UUID()
            #expect(try await roundTrip(c, uuid, "uuid") == uuid)
            let bytes = Data([0, 1, 2, 0xFF, 0x5C, 0x27, 0])
            #expect(try await roundTrip(c, bytes, "bytea") == bytes)
            #expect(try await roundTrip(c, Data(), "bytea") == Data())
            let json = try PostgresJSON(encoding: ["名": "陕西", "quote": "\"'"])
            let jsonBack = try await roundTrip(c, json, "jsonb")
            #expect(try jsonBack.decode(as: [String: String].self) == ["名": "陕西", "quote": "\"'"])
            let array = ["a", "b c", "\"quoted\"", "back\\slash", "", "NULL", "{braces}", "逗,号"]
            #expect(try await roundTrip(c, array, "text[]") == array)
            #expect(try await roundTrip(c, [String](), "text[]") == [])
            #expect(try await roundTrip(c, [1, -2, 3], "int8[]") == [1, -2, 3])

            // NULL both ways, for every type.
            for type in [
                "text", "bool", "int2", "int4", "int8", "float8", "numeric", "timestamptz", "date", "uuid", "bytea",
                "jsonb", "text[]",
            ] {
                let row = try await c.query("SELECT $1::\(type) AS v", [PostgresNull()]).single()
                #expect(try row.isNull("v"), "NULL \(type)")
            }
            #expect(try await roundTrip(c, String?.none, "text") == nil)
            #expect(try await roundTrip(c, Int?.none, "int8") == nil)
            #expect(try await roundTrip(c, Date?.none, "timestamptz") == nil)
            #expect(try await roundTrip(c, Int?.some(7), "int8") == 7)
        }
    }

    @Test func hostileTextIsStoredVerbatim() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let c = try await PostgresConnection.connect(database.configuration)
            defer { Task { await c.close() } }
            try await c.query("CREATE TABLE x (id serial PRIMARY KEY, body text NOT NULL)")
            let hostile = [
                "'; DROP TABLE x; --", "\"double\" 'single' `back`", "back\\slash \\x00 \\\\", "$1 $$ $tag$",
                "😀 𠀀 4-byte UTF-8", "陕西省工业和信息化厅", "line\nbreak\r\ttab", String(repeating: "长", count: 1_000_000),
                "\u{202E}right-to-left override", "",
            ]
            for text in hostile {
                let id: Int = try await c.query("INSERT INTO x (body) VALUES ($1) RETURNING id", [text]).single()
                    .decode("id")
                let back: String = try await c.query("SELECT body FROM x WHERE id = $1", [id]).single().decode("body")
                #expect(back == text)
            }
            let count: Int = try await c.query("SELECT count(*) AS n FROM x").single().decode("n")
            #expect(count == hostile.count)
        }
    }

    @Test func nulByteIsAClearErrorAndSendsNothing() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let c = try await PostgresConnection.connect(database.configuration)
            defer { Task { await c.close() } }
            try await c.query("CREATE TABLE x (body text)")
            let error = await #expect(throws: PostgresError.self) {
                try await c.query("INSERT INTO x VALUES ($1)", ["before\u{0}after"])
            }
            #expect(error?.kind == .invalidParameter)
            #expect(error?.code == .characterNotInRepertoire)
            #expect(error?.message.contains("$1") == true)
            #expect(try await c.query("SELECT count(*) AS n FROM x").single().decode("n", as: Int.self) == 0)
        }
    }

    @Test func decodingErrorsNameColumnAndType() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let c = try await PostgresConnection.connect(database.configuration)
            defer { Task { await c.close() } }
            let row = try await c.query("SELECT 'abc'::text AS word, NULL::int AS nothing, 5::int AS five").single()
            let wrong = #expect(throws: PostgresDecodingError.self) { try row.decode("word", as: Int.self) }
            #expect(wrong?.column == "word")
            #expect(wrong?.expectedType == "Int")
            let null = #expect(throws: PostgresDecodingError.self) { try row.decode("nothing", as: Int.self) }
            #expect(null?.reason.contains("NULL") == true)
            let type = #expect(throws: PostgresDecodingError.self) { try row.decode("five", as: Date.self) }
            #expect(type?.description.contains("five") == true)
            #expect(type?.description.contains("Date") == true)
            #expect(throws: PostgresDecodingError.self) { try row.decode("missing", as: Int.self) }
            #expect(try row.decode("nothing", as: Int?.self) == nil)
        }
    }
}

@Suite struct ValueTests {
    @Test func calendarDates() {
        #expect(CalendarDate("2026-01-01")?.daysSinceEpoch == 20454)
        #expect(CalendarDate(daysSinceEpoch: 0).description == "1970-01-01")
        #expect(CalendarDate(year: 2026, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 2024, month: 2, day: 29)?.adding(days: 1).description == "2024-03-01")
        #expect(CalendarDate("2026-1-01") == nil)
        #expect(CalendarDate("2026-11-22")?.isoWeekday == 7)
        for days in stride(from: -719_000, through: 2_900_000, by: 997) {
            let date = CalendarDate(daysSinceEpoch: days)
            #expect(CalendarDate(date.description)?.daysSinceEpoch == days)
        }
    }

    @Test func timestampsParseEveryOffsetForm() {
        let utc = PostgresTimestamp.parse("2026-01-01 00:00:00+00")
        #expect(PostgresTimestamp.parse("2026-01-01 08:00:00+08") == utc)
        #expect(PostgresTimestamp.parse("2026-01-01T08:00:00+08:00") == utc)
        #expect(PostgresTimestamp.parse("2025-12-31 18:30:00-05:30") == utc)
        #expect(PostgresTimestamp.parse("2026-01-01T00:00:00Z") == utc)
        #expect(PostgresTimestamp.parse("2026-01-01 00:00:00.5+00") == utc! + 500_000)
        #expect(PostgresTimestamp.parse("2026-01-01 00:00") == nil)
        #expect(PostgresTimestamp.parse("infinity") == nil)
        #expect(PostgresTimestamp.format(microseconds: utc! + 1) == "2026-01-01T00:00:00.000001Z")
        #expect(PostgresTimestamp.format(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
    }
}
