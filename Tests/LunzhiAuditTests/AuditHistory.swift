import Foundation
import LunzhiAudit
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// A small but real history: items filed, returned, accepted, tabled and decided at a meeting;
/// an approval granted late. About 40 events.
struct AuditHistory {
    let meeting: Int
    let items: [Int]
    let approval: Int

    static func make(_ f: MechanismFixture) async throws -> AuditHistory {
        let s = f.service
        var items: [Int] = []
        for (member, title) in [("SN", "西部陆海新通道"), ("QH", "盐湖化工 \"quoted\", comma"), ("NX", "=HYPERLINK(\"x\")")] {
            let item = try await s.fileItem(
                by: f.clerk(member), ItemDraft(category: .majorProject, track: .regular, title: title, body: "正文"))
            _ = try await s.submitItem(by: f.clerk(member), id: item.id)
            _ = try await s.acceptItem(by: f.clerk("GS"), id: item.id)
            items.append(item.id)
        }
        let meeting = try await s.convene(
            by: f.clerk("GS"),
            ConsultationPlan(
                kind: .meeting, at: f.clock.now().addingTimeInterval(14 * 86_400), place: "兰州",
                agendaDeadline: f.clock.now().addingTimeInterval(7 * 86_400)))
        _ = try await s.table(by: f.clerk("GS"), consultation: meeting.id, items: items)
        f.clock.advance(14 * 86_400)
        _ = try await s.openConsultation(by: f.clerk("GS"), id: meeting.id)
        for member in MechanismFixture.order {
            _ = try await s.recordPosition(
                by: f.clerk(member), consultation: meeting.id, item: items[0], stance: .agree)
            _ = try await s.recordPosition(
                by: f.clerk(member), consultation: meeting.id, item: items[1], stance: member == "XJ" ? .object : .agree
            )
        }
        _ = try await s.decide(by: f.clerk("GS"), consultation: meeting.id, item: items[0])
        _ = try await s.decide(by: f.clerk("GS"), consultation: meeting.id, item: items[1])
        _ = try await s.deferItem(by: f.clerk("GS"), consultation: meeting.id, item: items[2], reason: "下次再议")
        _ = try await s.closeConsultation(by: f.clerk("GS"), id: meeting.id, minutes: "纪要")

        let project = try await s.addProject(
            by: f.clerk("SN"),
            ProjectDraft(
                name: "SN 项目", enterprises: ["某某集团"], investment: 1_250_000_000, industry: .energyMaterials,
                subIndustry: "", source: .eastCentral, place: "某地"))
        let approval = try await s.requestApproval(
            by: f.clerk("SN"), ApprovalRequest(projectID: project.id, track: .urgent, ask: "急需电力接入"))
        _ = try await s.grant(by: f.clerk("SN"), approval: approval.id)
        f.clock.advance(5 * 86_400)  // past the urgent track's 3 days
        _ = try await s.grant(by: f.clerk("GS"), approval: approval.id, note: "迟复")
        return AuditHistory(meeting: meeting.id, items: items, approval: approval.id)
    }
}

extension MechanismFixture {
    /// Runs SQL as the superuser with the audit table's triggers off, as a tamperer would.
    func tamper(_ statements: String...) async throws { try await tamper(statements) }

    func tamper(_ statements: [String]) async throws {
        try await PostgresConnection.with(database.configuration) { c in
            try await c.query("ALTER TABLE audit_event DISABLE TRIGGER USER")
            for statement in statements { try await c.query(statement) }
            for trigger in ["audit_event_seal", "audit_event_no_update", "audit_event_no_truncate"] {
                try await c.query("ALTER TABLE audit_event ENABLE ALWAYS TRIGGER \(trigger)")
            }
        }
    }

    func eventCount() async throws -> Int {
        try await pool.query("SELECT count(*) AS n FROM audit_event").single().decode("n")
    }

    func checkpoint(_ signer: SignedNote.Signer, log: CheckpointLog) async throws -> Checkpoint {
        switch try await AuditCheckpointer(pool: pool, signer: signer, log: log).checkpoint(now: clock.now()) {
        case .signed(let c), .unchanged(let c): return c
        }
    }
}

/// A fresh Ed25519 signer for checkpoints, and a checkpoint log file removed afterwards.
func withSigner<T>(_ body: (SignedNote.Signer, CheckpointLog) async throws -> T) async throws -> T {
    let signer = try newSigner()
    let log = CheckpointLog(path: temporaryPath("checkpoints"))
    defer { try? FileManager.default.removeItem(atPath: log.path) }
    return try await body(signer, log)
}

func newSigner() throws -> SignedNote.Signer {
    try SignedNote.Signer(encoded: try SignedNote.Signer.generate(name: "lunzhi-test").signer)
}
