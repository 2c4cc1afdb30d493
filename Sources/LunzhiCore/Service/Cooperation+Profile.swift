public import Foundation
import PostgresLibPQ

/// Who a principal is today: its grants, the mechanisms where its member holds chair powers,
/// its language and whether it chose a passphrase. WHOAMI and the web's header read this.
public struct Profile: Sendable, Equatable {
    public var caller: Caller
    public var displayName: String
    /// Mechanisms in which the principal's member holds chair powers today.
    public var chairToday: [String]
    public var language: Language
    /// When the principal last set a passphrase of its own (nil: still the secret it was given).
    public var passphraseSetAt: Date?
}

/// The languages of the catalogue.
public enum Language: String, Sendable, CaseIterable, Codable {
    case zh, en
}

extension Cooperation {
    /// The principal's profile today (refused for a disabled principal).
    public func profile(_ principal: Int) async throws -> Profile {
        try await read(by: principal) { context in try await loadProfile(context) }
    }

    /// The profile and the default mechanism's members with their names today, in one read on one
    /// connection: what every page of the web workspace needs before it renders.
    public func profileAndMembers(_ principal: Int) async throws -> (Profile, [MemberInfo]) {
        try await read(by: principal) { context in
            (try await loadProfile(context), try await loadMembers(context, mechanism: nil, on: context.today))
        }
    }

    private func loadProfile(_ context: ChangeContext) async throws -> Profile {
        let row = try await context.query(
            "SELECT display_name, language, passphrase_set_at FROM principal WHERE id = $1", [context.caller.id]
        ).single()
        var chairIn: [String] = []
        for grant in context.caller.grants where grant.role == .clerk {
            guard let mechanism = grant.mechanism else { continue }
            if let chair = try await Rotation.chair(context.connection, mechanism: mechanism, on: context.today),
                chair.member == grant.member
            {
                chairIn.append(mechanism)
            }
        }
        return Profile(
            caller: context.caller, displayName: try row.decode("display_name"), chairToday: chairIn,
            language: Language(rawValue: try row.decode("language")) ?? .zh,
            passphraseSetAt: try row.decode("passphrase_set_at"))
    }

    /// The smallest passphrase a principal may choose.
    public static let minimumPassphraseLength = 12

    /// Replaces the principal's secret with a passphrase of its own, after checking the current
    /// one (one bcrypt comparison, as at sign-in). Ends the principal's other web sessions.
    public func setPassphrase(by principal: Int, current: String, new: String, keepSession: Data? = nil) async throws {
        guard !new.contains("\u{0}"), new.utf8.count <= 200 else {
            throw DomainError(.invalidText, detail: "passphrase_text")
        }
        guard new.count >= Self.minimumPassphraseLength else {
            throw DomainError(.invalidArgument, detail: "passphrase_short", ["count": "\(Self.minimumPassphraseLength)"])
        }
        guard new != current else { throw DomainError(.invalidArgument, detail: "passphrase_same") }
        let name: String = try await read(by: principal) { $0.caller.name }
        _ = try await authenticate(name: name, secret: current)
        let hash = await hashSecret(new)
        try await change(by: principal) { context in
            try await context.query(
                "UPDATE principal SET secret_hash = $2, passphrase_set_at = $3 WHERE id = $1",
                [principal, hash, context.now])
            try await context.query(
                "DELETE FROM web_session WHERE principal_id = $1 AND token_hash IS DISTINCT FROM $2",
                [principal, keepSession])
            try await context.audit("principal.passphrase", entity: "principal", id: principal, mechanism: nil)
        }
    }

    /// Remembers the language the principal reads the web in.
    public func setLanguage(by principal: Int, _ language: Language) async throws {
        try await change(by: principal) { context in
            let before: String = try await context.query(
                "SELECT language FROM principal WHERE id = $1 FOR UPDATE", [principal]
            ).single().decode("language")
            guard before != language.rawValue else { return }
            try await context.query("UPDATE principal SET language = $2 WHERE id = $1", [principal, language.rawValue])
            try await context.audit(
                "principal.language", entity: "principal", id: principal, mechanism: nil,
                before: try PostgresJSON(encoding: ["language": before]),
                after: try PostgresJSON(encoding: ["language": language.rawValue]))
        }
    }
}
