import Foundation
import LunzhiCore
@testable import LunzhiWeb
import Testing

/// Every text the pages use is in the catalogue, in both languages.
@Suite struct CatalogueTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources").standardized

    @Test func everyKeyThePagesUseIsInBothLanguages() throws {
        var keys: Set<String> = []
        let web = Self.sources.appendingPathComponent("LunzhiWeb")
        let files = FileManager.default.enumerator(atPath: web.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 10)
        let pattern = try NSRegularExpression(pattern: #"w\["([a-z_.]+)"\]|Words\(\.[a-z]+\)\["([a-z_.]+)"\]|done=([a-z_]+)"#)
        for file in files {
            let text = try String(contentsOf: web.appendingPathComponent(file), encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                for group in 1...3 {
                    guard let range = Range(match.range(at: group), in: text) else { continue }
                    let key = String(text[range])
                    if key.hasSuffix("_") { continue }  // done=item_\(action): listed below
                    keys.insert(group == 3 ? "done." + key : key)
                }
            }
        }
        // Keys made from enumerations: every case of each.
        func all<T: CaseIterable & RawRepresentable>(_ prefix: String, _ type: T.Type) where T.RawValue == String {
            for value in T.allCases { keys.insert(prefix + value.rawValue) }
        }
        all("state.", ItemState.self)
        all("cstate.", ConsultationState.self)
        all("astate.", ApprovalState.self)
        all("afilter.", ApprovalFilter.self)
        all("track.", Track.self)
        all("category.", ItemCategory.self)
        all("kind.", ConsultationKind.self)
        all("rule.", ConsultationRule.self)
        all("consultations.rule_text.", ConsultationRule.self)
        all("stance.", Stance.self)
        all("outcome.", Outcome.self)
        all("answer.", ApprovalAnswer.self)
        all("industry.", Industry.self)
        all("source.", SourceRegion.self)
        all("stage.", ProjectStage.self)
        all("role.", Role.self)
        all("language.", Language.self)
        all("queue.", WorkEntry.Kind.self)
        for action in ["submit", "withdraw", "accept", "return"] { keys.insert("done.item_" + action) }
        for action in ["table", "open", "position", "decide", "defer", "close", "cancel"] { keys.insert("done.consultation_" + action) }
        for action in ["plan", "swap", "skip", "consent", "withdraw", "acting", "revoke"] { keys.insert("done.rotation_" + action) }
        for kind in ["term", "gap", "acting"] { keys.insert("schedule." + kind) }
        for channel in Cooperation.contactChannels { keys.insert("channel." + channel) }
        let missing = keys.filter { Catalogue.entries[$0] == nil }.sorted()
        #expect(missing.isEmpty, "not in the catalogue: \(missing)")
        for (key, entry) in Catalogue.entries {
            #expect(!entry.zh.isEmpty && !entry.en.isEmpty, "\(key)")
        }
    }

    /// Each domain error name the service can give has its message in both languages.
    @Test func everyDomainErrorNameHasAMessage() throws {
        let text = try String(
            contentsOf: Self.sources.appendingPathComponent("LunzhiCore/Model/DomainError.swift"), encoding: .utf8)
        let names = try NSRegularExpression(pattern: #"static let [a-zA-Z]+: Name = "([A-Z_]+)""#)
            .matches(in: text, range: NSRange(text.startIndex..., in: text))
            .map { String(text[Range($0.range(at: 1), in: text)!]) }
        #expect(names.count >= 18)
        for name in names { #expect(Catalogue.entries["error." + name] != nil, "error.\(name)") }
    }

    /// Every refusal the service, the web and the audit desk can give has its detail in both
    /// languages, with the same placeholders, and every term a detail names is there too.
    @Test func everyRefusalsDetailAndTermIsInBothLanguages() throws {
        var keys: Set<String> = []
        let patterns: [(String, String)] = [
            (#"detail: "([a-z_]+)""#, "detail."),
            (#"detail: key == nil \? "([a-z_]+)""#, "detail."),
            (#"detail: key == nil \? "[a-z_]+" : "([a-z_]+)""#, "detail."),
            (#"DomainError\.invalid\(\s*"([a-z_]+)""#, "detail."),
            (#"(?:to|doWhat): "([a-z ]+)"\)"#, "doing."),
            (#"field: "([a-z -]+)""#, "field."),
            (#"InputRange\.check\([^"\n]*"([a-z ]+)"\)"#, "field."),
            (#"form\.[a-zA-Z]+\("([a-z_]+)""#, "field."),
            (#"DomainError\.notFound\("([a-z ]+)""#, "thing."),
            (#"recordAuditUse\([^"\n]*"([a-z]+)""#, "audit_use."),
        ]
        var counts: [String: Int] = [:]
        for module in ["LunzhiCore", "LunzhiWeb", "LunzhiAudit"] {
            let directory = Self.sources.appendingPathComponent(module)
            for file in FileManager.default.enumerator(atPath: directory.path)!.compactMap({ $0 as? String })
            where file.hasSuffix(".swift") {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                for (pattern, prefix) in patterns {
                    for match in try NSRegularExpression(pattern: pattern)
                        .matches(in: text, range: NSRange(text.startIndex..., in: text))
                    {
                        let raw = String(text[Range(match.range(at: 1), in: text)!])
                        keys.insert(prefix + raw.replacingOccurrences(of: " ", with: "_"))
                        counts[prefix, default: 0] += 1
                    }
                }
            }
        }
        // The patterns still find what they look for (a renamed call would find nothing).
        #expect(counts["detail.", default: 0] > 100 && counts["doing.", default: 0] > 15)
        #expect(counts["field.", default: 0] > 40 && counts["thing.", default: 0] > 10)
        for entity in Cooperation.historyEntities { keys.insert("thing." + entity) }
        for code in ["steel", "cement", "flat_glass", "aluminium_smelting", "traditional_coal_chemicals", "paper"] {
            keys.insert("screened." + code)
        }
        let missing = keys.filter { Catalogue.entries[$0] == nil }.sorted()
        #expect(missing.isEmpty, "not in the catalogue: \(missing)")
        let placeholder = try NSRegularExpression(pattern: #"\{([a-z]+)\}"#)
        func names(_ text: String) -> Set<String> {
            Set(placeholder.matches(in: text, range: NSRange(text.startIndex..., in: text))
                .map { String(text[Range($0.range(at: 1), in: text)!]) })
        }
        for (key, entry) in Catalogue.entries where key.hasPrefix("detail.") {
            #expect(names(entry.zh) == names(entry.en), "\(key)")
        }
    }

    /// The English detail is the console's message; the Chinese one names the same things in
    /// Chinese, terms included.
    @Test func aDetailIsSaidInTheReadersLanguage() {
        let error = DomainError(
            .notChair, detail: "only_chair", ["member": "GS", "date": "2026-03-02", "action": .term("doing", "accept items")])
        #expect(error.message == "only the chair (GS on 2026-03-02) may accept items")
        #expect(Words(.zh).detail(error) == "只有轮值主席单位（2026-03-02 为 GS）才能受理议题")
        #expect(Words(.en).detail(error) == error.message)
        let state = DomainError(.wrongState, detail: "item_decided", ["item": "7", "outcome": .term("outcome", "adopted")])
        #expect(state.message == "item 7 is already decided (adopted)")
        #expect(Words(.zh).detail(state) == "议题 7 已有决定（通过）")
        let waiting = DomainError(.quorumNotMet, detail: "waiting_for", ["members": .list(["NX", "XJ"])])
        #expect(waiting.message == "waiting for the positions of NX, XJ")
        #expect(Words(.zh).detail(waiting) == "尚待以下成员表态：NX、XJ")
        #expect(Words(.zh).detail(DomainError(.notFound, "plain")) == nil)
        #expect(Catalogue.fill("{a}、{b}{c}") { ["a": "甲", "b": "乙"][$0] ?? "?" } == "甲、乙?")
    }

    /// The service's own reasons read back from their sealed English and are said in Chinese; a
    /// person's words are left as written.
    @Test func systemReasonsRoundTripAndAreSaidInChinese() {
        let all: [SystemReason] = [
            .tabled(item: 3, ordinal: 1), .objectedBy(["QH", "NX"]), .consultationCancelled(4), .consentOf("NX"),
            .silenceRule,
        ]
        for reason in all {
            #expect(SystemReason(text: reason.text) == reason, "\(reason.text)")
            let zh = reason.said(Words(.zh))
            #expect(!zh.contains("{") && zh.unicodeScalars.allSatisfy { !("a"..."z").contains($0) }, "\(zh)")
        }
        #expect(SystemReason.objectedBy(["QH", "NX"]).said(Words(.zh)) == "QH、NX 反对")
        #expect(SystemReason.tabled(item: 3, ordinal: 1).said(Words(.zh)) == "议题 3 列为议程第 1 项")
        for words in ["请补充材料", "objected by", "item 3 tabled", "consultation x cancelled", "consent of a b"] {
            #expect(SystemReason(text: words) == nil, "\(words)")
        }
    }

    @Test func moneyInYiAndWan() {
        #expect(Money.format(1_250_000_000) == "12.5亿元")
        #expect(Money.format(30_000_000) == "3000万元")
        #expect(Money.format(8_500) == "8500元")
        #expect(Money.format(100_000_000) == "1亿元")
        #expect(Money.parse("12.5亿") == 1_250_000_000)
        #expect(Money.parse("300万") == 3_000_000)
        #expect(Money.parse(" 1200000 ") == 1_200_000)
        #expect(Money.parse("1e9") == nil && Money.parse("-5") == nil && Money.parse("亿") == nil)
        #expect(Money.parse("99999999999999亿") == nil)
    }

    @Test func timesAreShownInShanghai() {
        let instant = Date(timeIntervalSince1970: 1_777_593_600)  // 2026-05-01T00:00Z
        #expect(TimeFormat.time(instant, .zh) == "2026年5月1日 08:00")
        #expect(TimeFormat.time(instant, .en) == "2026-05-01 08:00")
    }

    @Test func htmlEscapesAndShowsInvisibleControls() {
        #expect(HTML.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTML.escape("a\u{202E}b\u{0}c\u{2066}") == "a⟨U+202E⟩b⟨U+0000⟩c⟨U+2066⟩")
        #expect(HTML.escape("第一行\n第二行") == "第一行\n第二行")
    }

    /// A list shows the start of a long text: its first line, at most 40 characters, "…" when cut.
    @Test func aListShowsTheGistOfALongText() {
        #expect(UI.gist("请求甘肃省协调配套用地。") == "请求甘肃省协调配套用地。")
        #expect(UI.gist(String(repeating: "用地", count: 30)) == String(repeating: "用地", count: 20) + "…")
        #expect(UI.gist("第一行\n第二行") == "第一行…")
        #expect(UI.gist("  只有一行  \n") == "  只有一行  ")
    }
}
