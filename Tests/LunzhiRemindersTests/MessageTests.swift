import Foundation
import LunzhiCore
@testable import LunzhiReminders
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// What a member reads: every word from the one catalogue, in Chinese then English, every time in
/// Asia/Shanghai.
@Suite struct MessageTests {
    @Test func anApprovalRequestReadsInChineseThenEnglishWithBeijingTimes() throws {
        let message = ReminderMessage(
            ClaimedReminder(
                id: 7, mechanism: "NW5", recipient: "QH", kind: .approvalRequested, entity: "approval", entityID: "12",
                dueAt: Date(timeIntervalSince1970: 1_777_593_600),  // 2026-05-01T00:00Z
                idempotencyKey: "approval_requested:approval:12:QH",
                payload: PostgresJSON(
                    text: #"{"project": "青海盐湖", "track": "urgent", "deadline": "2026-05-03T16:30:00.000000Z"}"#),
                attempt: 1, maxAttempts: 3))
        #expect(message.subject == "【轮值】一事一议申请待答复 / A case-by-case approval awaits your answer")
        let lines = message.body.components(separatedBy: "\n")
        #expect(
            lines == [
                "一事一议申请待答复", "机制：NW5", "事项：一事一议申请 12", "截止时间：2026年5月4日 00:30（北京时间）", "项目：青海盐湖",
                "办理方式：急事急办", "提醒时间：2026年5月1日 08:00（北京时间）", "",
                "A case-by-case approval awaits your answer", "Mechanism: NW5", "About: approval 12",
                "Deadline: 2026-05-04 00:30 (Beijing time)", "Project: 青海盐湖", "Track: Urgent",
                "Sent for: 2026-05-01 08:00 (Beijing time)", "", "提醒编号 / Reminder: approval_requested:approval:12:QH",
            ], "\(lines)")
        // The JSON keeps the machine's values: the raw payload, times in UTC.
        #expect(message.json.contains(#""track":"urgent""#) && message.json.contains(#""due_at":"2026-05-01T00:00:00"#))
    }

    /// Every reminder a real flow queues has a title for its kind and a label for each payload key,
    /// in both languages: no raw key, no English sentence in the Chinese half.
    @Test func everyQueuedReminderIsSaidFromTheCatalogue() async throws {
        try await MechanismFixture.with(start: .day("2026-11-20")) { f in
            let now = f.clock.now()
            let item = try await f.service.fileItem(
                by: f.clerk("SN"), ItemDraft(category: .other, track: .regular, title: "陕西议题"))
            _ = try await f.service.submitItem(by: f.clerk("SN"), id: item.id)
            _ = try await f.service.returnItem(by: f.clerk("GS"), id: item.id, reason: "请补充材料")
            _ = try await f.service.convene(
                by: f.clerk("GS"),
                ConsultationPlan(
                    kind: .written, agendaDeadline: now.addingTimeInterval(5 * 86_400),
                    responseDeadline: now.addingTimeInterval(9 * 86_400)))
            _ = try await f.service.convene(
                by: f.clerk("GS"),
                ConsultationPlan(
                    kind: .meeting, at: now.addingTimeInterval(10 * 86_400), place: "兰州",
                    agendaDeadline: now.addingTimeInterval(5 * 86_400)))
            let project = try await f.service.addProject(
                by: f.clerk("QH"),
                ProjectDraft(
                    name: "盐湖提锂", enterprises: ["某集团"], investment: 300_000_000, industry: .energyMaterials,
                    subIndustry: "", source: .eastCentral, place: "格尔木"))
            _ = try await f.service.requestApproval(
                by: f.clerk("QH"), ApprovalRequest(projectID: project.id, track: .regular, ask: "用地", parties: ["NX"]))
            _ = try await f.service.addPrincipal(
                by: f.operatorID, name: "xj-second", role: .clerk, mechanism: "NW5", member: "XJ")
            // Qinghai asks Ningxia to swap 2027 and 2028, Xinjiang asks to skip 2029 and takes it back.
            _ = try await f.service.requestSwap(by: f.clerk("QH"), years: (2027, 2028), reason: "青海承办全国性活动")
            let skip = try await f.service.requestSkip(by: f.operatorID, year: 2029, reason: "新疆申请跳过")
            _ = try await f.service.withdrawException(by: f.operatorID, exception: skip.id, reason: "新疆不再申请")
            #expect(try await f.service.scheduleRotationHandovers(now: f.clock.now().addingTimeInterval(12 * 86_400)) > 0)
            let rows = try await f.pool.query(
                """
                SELECT id, mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key, payload
                  FROM reminder ORDER BY id
                """)
            var kinds: Set<String> = []
            for row in rows {
                let reminder = ClaimedReminder(
                    id: try row.decode("id"), mechanism: try row.decode("mechanism_code"),
                    recipient: try row.decode("recipient_member"), kind: try row.decode("kind"),
                    entity: try row.decode("entity"), entityID: try row.decode("entity_id"), dueAt: try row.decode("due_at"),
                    idempotencyKey: try row.decode("idempotency_key"), payload: try row.decode("payload"), attempt: 1,
                    maxAttempts: 3)
                kinds.insert(reminder.kind.rawValue)
                let message = ReminderMessage(reminder)
                let payload = try reminder.payload.decode(as: [String: String].self)
                let chinese = message.body.components(separatedBy: "\n\n")[0]
                #expect(!chinese.contains("轮值机制提醒"), "no title for \(reminder.kind)")
                for key in payload.keys {
                    #expect(!message.body.contains("\n\(key):"), "no label for \(key) in \(reminder.kind)")
                }
                // The Chinese half has no English word but the codes, ids and names it quotes.
                let letters = chinese.unicodeScalars.filter { ("a"..."z").contains($0) }
                #expect(letters.isEmpty || reminder.kind == .principalAdded, "\(reminder.kind): \(chinese)")
                #expect(!chinese.contains("T0") && !chinese.contains("Z\n"), "a UTC time in \(chinese)")
            }
            #expect(
                kinds.isSuperset(of: [
                    "item_submitted", "item_returned", "consultation_convened", "agenda_deadline", "meeting_tomorrow",
                    "response_due", "approval_requested", "approval_due", "approval_overdue", "principal_added",
                    "rotation_handover", "rotation_exception_requested", "rotation_exception_withdrawn",
                ]), "\(kinds.sorted())")
        }
    }
}
