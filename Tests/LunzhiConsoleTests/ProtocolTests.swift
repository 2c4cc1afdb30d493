import Foundation
@testable import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct ParserTests {
    func parse(_ line: String) -> ConsoleRequest? { try? ConsoleRequestParser.parse(line).get() }

    @Test func wordsQuotesEscapesNamedAndTags() {
        let request = parse(#"@t-1 item file title="a \"b\" \\ c\n" body=正文 track=regular "two words""#)
        #expect(request?.tag == "t-1")
        #expect(request?.words == ["item", "file", "two words"])
        #expect(request?.value("title") == "a \"b\" \\ c\n")
        #expect(request?.value("body") == "正文")
        #expect(parse("PING")?.words == ["PING"])
        #expect(parse("  spaced   out  ")?.words == ["spaced", "out"])
        #expect(parse(#"x key="""#)?.value("key") == "")
        #expect(parse("x a=b=c")?.value("a") == "b=c")
    }

    /// Lines without a tag, quote, `=` or control character are split straight from their bytes;
    /// every line, of those and of others, must parse as the scalar-by-scalar parser reads it.
    @Test func theFastPathAgreesWithTheFullParser() {
        let alphabet: [String] = [
            "a", "Z", "9", " ", "  ", "\t", "中", "文", "é", "\u{1F600}", "\u{7F}", "-", "\\", "PING", "ITEM", "show",
            "\"", "=", "@", "x=", "@t ", "\u{1}", "\n",
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var fast = 0
        for _ in 0..<20_000 {
            let line = (0..<next(12)).map { _ in alphabet[next(alphabet.count)] }.joined()
            let bytes = Array(line.utf8)
            if ConsoleRequestParser.plainWords(bytes) != nil { fast += 1 }
            switch (ConsoleRequestParser.parse(bytes), ConsoleRequestParser.parse(line)) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(line.debugDescription)")
            case (.failure(let a), .failure(let b)): #expect(a.message == b.message, "\(line.debugDescription)")
            default: Issue.record("the two parsers disagree on \(line.debugDescription)")
            }
        }
        #expect(fast > 2_000)  // the fast path was really taken
        let many = Array(repeating: "w", count: ConsoleRequestParser.maximumWords + 1).joined(separator: " ")
        #expect(throws: ConsoleSyntaxError.self) { try ConsoleRequestParser.parse(Array(many.utf8)).get() }
        #expect(ConsoleRequestParser.plainWords(Array("ITEM SHOW\t12 ".utf8)) == ["ITEM", "SHOW", "12"])
    }

    @Test func syntaxErrors() {
        for bad in [
            #"x "unterminated"#, #"x "bad \q escape""#, #"x "a"b"#, "x a=1 a=2", "@ x", "@bad!tag x", "x \u{1}",
        ] {
            #expect(throws: ConsoleSyntaxError.self, "\(bad)") { try ConsoleRequestParser.parse(bad).get() }
        }
        #expect(throws: ConsoleSyntaxError.self) { try ConsoleRequestParser.parse([0x50, 0x00, 0x51]).get() }
        #expect(throws: ConsoleSyntaxError.self) { try ConsoleRequestParser.parse([0x50, 0xFF, 0xFE]).get() }
    }

    @Test func repliesRenderInBothModes() {
        let reply = ConsoleReply.ok("first", lines: ["二", "three\u{1}"], data: .object([("k", .string("中文\"\n"))]))
        let text = reply.text(tag: "t")
        #expect(text == "200-@t first\r\n200-@t 二\r\n200 @t three\\x01\r\n")
        #expect(isWellFormed(text))
        #expect(
            reply.json(tag: nil)
                == "{\"tag\":null,\"ok\":true,\"code\":200,\"message\":\"first\",\"data\":{\"k\":\"中文\\\"\\n\"}}\r\n")
        let error = ConsoleReply.error(403, "NOT_CHAIR", "only the chair (GS in 2026) may accept items")
        #expect(error.text(tag: nil) == "403 NOT_CHAIR only the chair (GS in 2026) may accept items\r\n")
        #expect(error.json(tag: "x").contains("\"error\":{\"name\":\"NOT_CHAIR\""))
        #expect(ConsoleReply.ok("PONG").text(tag: "p") == "200 @p PONG\r\n")
        #expect(ConsoleReply.ok("a\\b\tc").text(tag: nil) == "200 a\\\\b\\tc\r\n")
    }

    /// Command names match in any ASCII case, one word or two (two-word names win); Unicode case
    /// mapping does not apply ("ıtem" with a dotless i is not ITEM).
    @Test func commandNamesMatchInAnyASCIICase() {
        #expect(CommandTable.find(["ping"])?.0.name == "PING")
        #expect(CommandTable.find(["Item", "sHow", "1"]).map { ($0.0.name, $0.1) } ?? ("", 0) == ("ITEM SHOW", 2))
        #expect(CommandTable.find(["chair"]).map { ($0.0.name, $0.1) } ?? ("", 0) == ("CHAIR", 1))
        #expect(CommandTable.find(["chair", "plan"])?.0.name == "CHAIR PLAN")
        #expect(CommandTable.find(["ping", "plan"]).map { ($0.0.name, $0.1) } ?? ("", 0) == ("PING", 1))
        #expect(CommandTable.find(["\u{131}tem", "show"]) == nil)
        #expect(CommandTable.find(["ITEM", "\u{17F}how"]) == nil)
        #expect(CommandTable.asciiUppercased("ping") == "PING")
        #expect(CommandTable.asciiUppercased("中文abc") == "中文ABC")
    }

    @Test func moneyAndTimes() throws {
        #expect(try Arguments.parseMoney("12.5亿", key: "amount") == Decimal(1_250_000_000))
        #expect(try Arguments.parseMoney("300万", key: "amount") == Decimal(3_000_000))
        #expect(try Arguments.parseMoney("1200000", key: "amount") == Decimal(1_200_000))
        #expect(throws: (any Error).self) { try Arguments.parseMoney("-5", key: "amount") }
        #expect(throws: (any Error).self) { try Arguments.parseMoney("1e9", key: "amount") }
        let shanghai = try Arguments.parseTime("2026-05-01T09:30", key: "at")
        #expect(shanghai == (try Arguments.parseTime("2026-05-01T01:30:00Z", key: "at")))
        #expect(try Arguments.parseTime("2026-05-01", key: "at") == ShanghaiCalendar.startOfDay(.day("2026-05-01")))
        #expect(throws: (any Error).self) { try Arguments.parseTime("May 1st", key: "at") }
    }

    @Test func theDocsListEveryCommand() throws {
        let docs = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../docs/console.md"),
            encoding: .utf8)
        for usage in CommandTable.commands.map(\.usage) {
            #expect(docs.contains("`\(usage)`"), "docs/console.md lacks `\(usage)`")
        }
    }
}
