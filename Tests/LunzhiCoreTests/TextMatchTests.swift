import Foundation
@testable import LunzhiCore
import LunzhiTestSupport
import Testing

/// Security finding 7: text users can disguise is normalised before it is compared.
@Suite struct TextMatchTests {
    @Test(arguments: [
        "ѕteel", "ｓｔｅｅｌ", "钢\u{200D}铁", "steel.", "钢铁冶炼", "\u{202E}steel\u{202C}", "S T E E L", "Stainless Steel",
        "stееl", "钢 铁", "st\u{00AD}eel",
    ])
    func disguisedSteelIsStillSteel(text: String) {
        #expect(TextMatch.contains(text, term: "steel") || TextMatch.contains(text, term: "钢铁"), "\(text)")
    }

    @Test(arguments: ["新能源", "solar", "光伏组件", "钢琴制造"])
    func otherIndustriesAreClear(text: String) {
        #expect(!TextMatch.contains(text, term: "steel") && !TextMatch.contains(text, term: "钢铁"))
    }

    @Test func screeningCatchesTheReportedDisguisesAndAnotherOfTheClass() async throws {
        try await MechanismFixture.with { f in
            let s = f.service
            for sub in ["ѕteel", "ｓｔｅｅｌ", "钢\u{200D}铁", "steel.", "钢铁冶炼", "\u{202E}steel", "水\u{200B}泥", "Ａluminium smelting"] {
                let project = try await s.addProject(
                    by: f.clerk("QH"),
                    ProjectDraft(name: "p", investment: 1, industry: .energyMaterials, subIndustry: sub, source: .west))
                let refused = await #expect(throws: DomainError.self) {
                    try await s.requestApproval(
                        by: f.clerk("QH"), ApprovalRequest(projectID: project.id, track: .urgent, ask: "x"))
                }
                #expect(refused?.name == .screenedIndustry, "\(sub)")
            }
        }
    }

    @Test(arguments: ["\u{200B}", "...", "\u{202E}\u{200D} ", "ab", "。。。。"])
    func aJustificationNeedsVisibleText(justification: String) async throws {
        try await MechanismFixture.with { f in
            let refused = await #expect(throws: DomainError.self) {
                try await f.service.fileItem(
                    by: f.clerk("QH"),
                    ItemDraft(category: .policy, track: .special, title: "t", justification: justification))
            }
            #expect(refused?.name == .justificationRequired)
        }
    }

    @Test func invisibleTitlesAreEmpty() async throws {
        try await MechanismFixture.with { f in
            let refused = await #expect(throws: DomainError.self) {
                try await f.service.fileItem(
                    by: f.clerk("QH"), ItemDraft(category: .policy, track: .regular, title: "\u{200B}\u{2060}"))
            }
            #expect(refused?.name == .invalidArgument)
            // A combining mark counts once per code point, as char_length does: 200 e + 1 mark = 201.
            let long = await #expect(throws: DomainError.self) {
                try await f.service.fileItem(
                    by: f.clerk("QH"),
                    ItemDraft(
                        category: .policy, track: .regular, title: String(repeating: "e", count: 200) + "\u{301}"))
            }
            #expect(long?.name == .textTooLong)
        }
    }
}
