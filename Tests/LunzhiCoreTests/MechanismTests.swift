import Foundation
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct MechanismTests {
    @Test func aFurtherMechanismHasItsOwnMembersRotationAndNumbers() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            try await s.createMechanism(
                by: f.operatorID, code: "GSTJ", name: "甘肃—天津东西部协作", members: [("GS", "甘肃省"), ("TJ", "天津市")])
            let tj = try await s.addPrincipal(
                by: f.operatorID, name: "tj-clerk", role: .clerk, mechanism: "GSTJ", member: "TJ"
            ).id
            try await s.planRotation(
                by: f.operatorID, mechanism: "GSTJ", order: ["TJ", "GS"], fromYear: 2026, years: 2)
            #expect(try await s.chair(by: f.auditorID, mechanism: "GSTJ")?.member == "TJ")
            // The NW5 chair (GS) has no chair powers in GSTJ: its GS clerk is a clerk of NW5 only.
            let item = try await s.fileItem(by: tj, ItemDraft(category: .direction, track: .regular, title: "协作方向"))
            #expect(item.mechanism == "GSTJ")
            _ = try await s.submitItem(by: tj, id: item.id)
            let refused = await #expect(throws: DomainError.self) {
                try await s.acceptItem(by: f.clerk("GS"), id: item.id)
            }
            #expect(refused?.name == .notChair)
            #expect(try await s.acceptItem(by: tj, id: item.id).state == .accepted)
            let duplicate = await #expect(throws: DomainError.self) {
                try await s.createMechanism(
                    by: f.operatorID, code: "GSTJ", name: "again", members: [("GS", "a"), ("TJ", "b")])
            }
            #expect(duplicate?.name == .alreadyExists)
        }
    }

    @Test func quorumAndDueDaysAreConfigurable() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            let settings = MechanismSettings(quorum: 3, dueDaysRegular: 20, dueDaysUrgent: 2, dueDaysSpecial: 7)
            let clerk = await #expect(throws: DomainError.self) {
                try await s.configureMechanism(by: f.clerk("GS"), settings, reason: "r")
            }
            #expect(clerk?.name == .forbidden)
            let tooBig = await #expect(throws: DomainError.self) {
                try await s.configureMechanism(
                    by: f.operatorID,
                    MechanismSettings(quorum: 6, dueDaysRegular: 1, dueDaysUrgent: 1, dueDaysSpecial: 1), reason: "r")
            }
            #expect(tooBig?.name == .invalidArgument)
            try await s.configureMechanism(by: f.operatorID, settings, reason: "2026年联席会议决定")
            #expect(try await s.mechanismSettings(by: f.auditorID) == settings)
            // A meeting now adopts with three positions and no objection.
            let item = try await s.fileItem(
                by: f.clerk("SN"), ItemDraft(category: .other, track: .urgent, title: "三方即可"))
            _ = try await s.submitItem(by: f.clerk("SN"), id: item.id)
            _ = try await s.acceptItem(by: f.clerk("GS"), id: item.id)
            let meeting = try await s.convene(
                by: f.clerk("GS"),
                ConsultationPlan(
                    kind: .meeting, at: f.clock.now().addingTimeInterval(86_400),
                    agendaDeadline: f.clock.now().addingTimeInterval(3600)))
            _ = try await s.table(by: f.clerk("GS"), consultation: meeting.id, items: [item.id])
            _ = try await s.openConsultation(by: f.clerk("GS"), id: meeting.id)
            for member in ["SN", "GS", "QH"] {
                _ = try await s.recordPosition(
                    by: f.clerk(member), consultation: meeting.id, item: item.id, stance: .agree)
            }
            #expect(try await s.decide(by: f.clerk("GS"), consultation: meeting.id, item: item.id).outcome == .adopted)
            let p = try await s.addProject(
                by: f.clerk("SN"), ProjectDraft(name: "p", investment: 1, industry: .other, source: .west))
            let urgent = try await s.requestApproval(
                by: f.clerk("SN"), ApprovalRequest(projectID: p.id, track: .urgent, ask: "a"))
            #expect(urgent.dueAt == f.clock.now().addingTimeInterval(2 * 86_400))
        }
    }
}
