public import PostgresLibPQ

/// What a reminder is about: an open struct (as `DomainError.Name`), so a kind written by a newer
/// version or by hand (`custom`) is still a value, and the known ones are named once.
public struct ReminderKind: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(stringLiteral value: String) { rawValue = value }
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let itemSubmitted: ReminderKind = "item_submitted"
    public static let itemReturned: ReminderKind = "item_returned"
    public static let consultationConvened: ReminderKind = "consultation_convened"
    public static let agendaDeadline: ReminderKind = "agenda_deadline"
    public static let meetingTomorrow: ReminderKind = "meeting_tomorrow"
    public static let responseDue: ReminderKind = "response_due"
    public static let approvalRequested: ReminderKind = "approval_requested"
    public static let approvalDue: ReminderKind = "approval_due"
    public static let approvalOverdue: ReminderKind = "approval_overdue"
    public static let rotationHandover: ReminderKind = "rotation_handover"
    public static let auditCheckpoint: ReminderKind = "audit_checkpoint"
    public static let principalAdded: ReminderKind = "principal_added"
    public static let rotationExceptionRequested: ReminderKind = "rotation_exception_requested"
    public static let rotationExceptionWithdrawn: ReminderKind = "rotation_exception_withdrawn"

    /// Kinds about an agenda item, a consultation or an approval, whose reason can go away before
    /// they are due (the skip rules, `Cooperation.skipReason`).
    public static let aboutItems: Set<ReminderKind> = [.itemSubmitted, .itemReturned]
    public static let aboutConsultations: Set<ReminderKind> = [
        .consultationConvened, .agendaDeadline, .meetingTomorrow, .responseDue,
    ]
    public static let aboutApprovals: Set<ReminderKind> = [.approvalRequested, .approvalDue, .approvalOverdue]
}

extension ReminderKind: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { rawValue.postgresParameter }
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        self.init(rawValue: try String(postgresText: text, type: type))
    }
}

/// Where a reminder stands in the queue (`reminder.state`).
public enum ReminderState: String, Sendable, CaseIterable, Codable, PostgresDecodable, PostgresEncodable {
    case pending, running, delivered, skipped, dead
    public var postgresParameter: PostgresParameter { rawValue.postgresParameter }
}
