import Foundation
import LunzhiCore
import PostgresLibPQ

/// What a member is told: a Chinese subject and body with an English line, and the JSON a
/// webhook or file receives.
public struct ReminderMessage: Sendable {
    public var subject: String
    public var body: String
    public var json: String

    static let titles: [ReminderKind: (String, String)] = [
        .itemSubmitted: ("议题已提交，请轮值牵头方受理", "An agenda item was submitted for the chair's decision"),
        .itemReturned: ("议题已退回，请修改后重新提交", "An agenda item was returned to its filer"),
        .consultationConvened: ("轮值牵头方召集协商议事", "The chair convened a consultation"),
        .approvalRequested: ("一事一议申请待答复", "A case-by-case approval awaits your answer"),
        .approvalDue: ("一事一议申请即将到期", "A case-by-case approval is due soon"),
        .approvalOverdue: ("一事一议申请已逾期", "A case-by-case approval is overdue"),
        .agendaDeadline: ("议题提交截止临近", "The agenda deadline is near"),
        .meetingTomorrow: ("协商会议明日召开", "The consultation meets tomorrow"),
        .responseDue: ("书面协商答复截止临近", "A written procedure's response is due"),
        .auditCheckpoint: ("审计检查点，请留存备查", "An audit checkpoint: keep this copy"),
        .rotationHandover: ("轮值牵头交接提醒（30天后换届）", "The chair passes to the next member in 30 days"),
        .principalAdded: ("本单位新增账号，请核实", "A principal was created for your member: check it"),
    ]

    public init(_ reminder: ClaimedReminder) {
        let (zh, en) = Self.titles[reminder.kind] ?? ("轮值机制提醒", "Lunzhi reminder")
        let payload =
            reminder.payload.text == "{}" ? [:] : (try? reminder.payload.decode(as: [String: String].self)) ?? [:]
        subject = "【轮值】\(zh) / \(en)"
        var lines = [
            zh, en, "", "机制 Mechanism: \(reminder.mechanism)", "对象 Subject: \(reminder.entity) \(reminder.entityID)",
        ]
        for key in payload.keys.sorted() { lines.append("\(key): \(payload[key]!)") }
        lines.append("")
        lines.append("提醒编号 Reminder: \(reminder.idempotencyKey)")
        body = lines.joined(separator: "\n")
        // Keys in byte order, as receivers and the documented examples expect.
        let object: JSONValue = .object([
            ("due_at", .string(PostgresTimestamp.format(microseconds: PostgresTimestamp.microseconds(reminder.dueAt)))),
            ("entity", .string(reminder.entity)), ("entity_id", .string(reminder.entityID)),
            ("id", .int(reminder.id)), ("key", .string(reminder.idempotencyKey)), ("kind", .string(reminder.kind.rawValue)),
            ("mechanism", .string(reminder.mechanism)),
            ("payload", .object(payload.keys.sorted().map { ($0, .string(payload[$0]!)) })),
            ("recipient", .string(reminder.recipient)), ("subject", .string(subject)),
        ])
        json = object.serialized()
    }
}
