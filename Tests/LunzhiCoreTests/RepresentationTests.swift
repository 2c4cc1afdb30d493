import Foundation
@testable import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// The entities' JSON representations: the keys in their order, times in Shanghai, nulls kept.
@Suite struct RepresentationTests {
    @Test func anItemAsJSON() throws {
        let at = Date(timeIntervalSince1970: 1_777_593_600)  // 2026-05-01T00:00Z
        let item = AgendaItem(
            id: 7, mechanism: "NW5", member: "QH", filedBy: 3, category: .policy, track: .special, title: "盐湖\"化工\"",
            body: "", justification: "工期紧", projectID: nil, state: .draft, returnReason: nil, createdAt: at, updatedAt: at)
        #expect(
            try JSONValue(encoding: item).serialized()
                == #"{"id":7,"mechanism":"NW5","member":"QH","category":"policy","track":"special","title":"盐湖\"化工\"","body":"","justification":"工期紧","project":null,"state":"draft","return_reason":null,"created_at":"2026-05-01T08:00:00+08:00","updated_at":"2026-05-01T08:00:00+08:00"}"#
        )
    }

    @Test func nestedRepresentationsKeepTheirOrder() throws {
        let at = Date(timeIntervalSince1970: 1_777_593_600)
        let project = Project(
            id: 2, mechanism: "NW5", name: "格尔木", enterprises: ["甲", "乙"], investment: Decimal(string: "1250000000.50")!,
            industry: .equipment, subIndustry: "", source: .west, hostMember: "QH", place: "", stage: .started,
            history: [.init(stage: .planned, at: at), .init(stage: .started, at: at.addingTimeInterval(86_400))])
        let json = try JSONValue(encoding: project).serialized()
        #expect(json.hasPrefix(#"{"id":2,"mechanism":"NW5","name":"格尔木","enterprises":["甲","乙"],"investment":"1250000000.5","#))
        #expect(json.hasSuffix(#""history":[{"stage":"planned","at":"2026-05-01T08:00:00+08:00"},{"stage":"started","at":"2026-05-02T08:00:00+08:00"}]}"#))
    }
}
