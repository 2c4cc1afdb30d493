import Foundation
import Hummingbird
import LunzhiCore
import PostgresLibPQ

/// Who is looking, in which language: the session, the principal's profile today and the
/// members' names as valid today. Built once per request.
struct Viewer: Sendable {
    let session: WebSession
    let profile: Profile
    let words: Words
    /// Member code → its name today.
    let memberNames: [String: String]
    let members: [MemberInfo]

    var principal: Int { session.principal }
    var caller: Caller { profile.caller }
    var language: Language { words.language }
    var csrf: String { session.csrfToken }

    /// The member this principal is a clerk of in the default mechanism (nil: not a clerk).
    var member: String? { caller.grants.first { $0.role == .clerk }?.member }
    var isChair: Bool { !profile.chairToday.isEmpty }
    var isOperator: Bool { caller.isOperator() }
    var isAuditor: Bool { caller.isAuditor() }
    var isClerk: Bool { member != nil }

    static func load(_ session: WebSession, _ service: Cooperation) async throws -> Viewer {
        let (profile, members) = try await service.profileAndMembers(session.principal)
        var names: [String: String] = [:]
        for member in members { names[member.code] = member.name ?? member.code }
        return Viewer(
            session: session, profile: profile, words: Words(profile.language), memberNames: names, members: members)
    }

    /// "甘肃省工业和信息化厅" for GS (its name today), the code when it has none.
    func memberName(_ code: String) -> String { memberNames[code] ?? code }

    func time(_ date: Date) -> String { TimeFormat.time(date, language) }
}
