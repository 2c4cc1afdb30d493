import Foundation
import PostgresLibPQ

/// A principal as operators see it.
public struct PrincipalInfo: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var displayName: String
    public var grants: [Caller.Grant]
    public var disabled: Bool
    /// Created for a member that already had a clerk: waits for one of them to confirm it.
    public var awaitingConfirmation: Bool
}

extension Cooperation {
    /// The system's own identity, for changes made from the command line by whoever holds the
    /// database credentials (creating the first operator).
    static let systemCaller = Caller(
        id: 0, name: "system", grants: [Caller.Grant(role: .operator, mechanism: nil, member: nil)])

    /// Creates a principal with one role and returns its generated secret, shown only this once.
    /// Operators only; `by: nil` is the command line (`lunzhi user add`).
    ///
    /// Separation of duties: an operator must not be able to act as a member. A clerk for a
    /// member that already has an active clerk is created awaiting confirmation, and can neither
    /// sign in nor act until a clerk of that member confirms it (`confirmPrincipal`); the first
    /// clerk of a member is the bootstrap case and is active at once. Either way the member is
    /// told by a reminder (`principal_added`).
    public func addPrincipal(
        by principal: Int?, name: String, displayName: String = "", role: Role, mechanism: String? = nil,
        member: String? = nil
    ) async throws -> CreatedPrincipal {
        guard name.range(of: "^[a-z][a-z0-9._-]{1,63}$", options: .regularExpression) != nil else {
            throw DomainError.invalid("principal_name")
        }
        let displayName = try TextRule.check(displayName, field: "display name", maxLength: 200, required: false)
        if role == .clerk && member == nil { throw DomainError.invalid("clerk_needs_member") }
        if role != .clerk && member != nil { throw DomainError.invalid("only_clerks_member") }
        let secret = Self.generateSecret()
        let secretHash = await hashSecret(secret)
        let body: (ChangeContext) async throws -> CreatedPrincipal = { context in
            try context.requireOperator(to: "add principals")
            let existing = try await context.query("SELECT 1 FROM principal WHERE name = $1", [name])
            guard existing.isEmpty else { throw DomainError(.alreadyExists, detail: "principal_exists", ["name": "\(name)"]) }
            var mechanismCode: String? = nil
            if role == .clerk {
                mechanismCode = try await context.mechanism(mechanism)
                let known = try await context.members(of: mechanismCode!)
                guard let member, known.contains(member) else {
                    throw DomainError(
                        .notFound, detail: "not_member_of", ["member": "\(member ?? "")", "mechanism": "\(mechanismCode!)"])
                }
            }
            var awaiting = false
            if let mechanismCode, let member {
                // Serialised per member, so two operators cannot both make "the first" clerk.
                try await context.query(
                    "SELECT pg_advisory_xact_lock(hashtext('principal-member:' || $1 || '/' || $2))",
                    [mechanismCode, member])
                awaiting = try await context.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM principal p JOIN principal_role r ON r.principal_id = p.id
                                    WHERE r.role = 'clerk' AND r.mechanism_code = $1 AND r.member_code = $2
                                      AND p.disabled_at IS NULL AND NOT p.awaiting_confirmation) AS staffed
                    """, [mechanismCode, member]
                ).single().decode("staffed")
            }
            let id: Int = try await context.query(
                """
                INSERT INTO principal (name, display_name, secret_hash, created_at, awaiting_confirmation)
                VALUES ($1, $2, $3, $4, $5) RETURNING id
                """, [name, displayName, secretHash, context.now, awaiting]
            ).single().decode("id")
            try await context.query(
                "INSERT INTO principal_role (principal_id, role, mechanism_code, member_code) VALUES ($1, $2, $3, $4)",
                [id, role.rawValue, mechanismCode, member])
            try await context.audit(
                "principal.add", entity: "principal", id: id, mechanism: mechanismCode,
                after: try PostgresJSON(encoding: [
                    "name": name, "role": role.rawValue, "member": member ?? "",
                    "awaiting_confirmation": awaiting ? "true" : "false",
                ]))
            if let mechanismCode, let member {
                try await context.remind(
                    .principalAdded, mechanism: mechanismCode, member: member, entity: "principal", id: id,
                    payload: [
                        "principal": name, "role": role.rawValue,
                        "confirmation": awaiting ? "required" : "first_clerk",
                    ])
            }
            return CreatedPrincipal(id: id, secret: secret, awaitingConfirmation: awaiting)
        }
        guard let principal else {
            return try await pool.transaction { connection in
                try await mapDatabaseErrors {
                    try await body(
                        ChangeContext(
                            connection: connection, caller: Self.systemCaller, now: clock.now(), cooperation: self))
                }
            }
        }
        return try await change(by: principal, body)
    }

    /// The id of a principal named on the command line (`lunzhi audit … --as NAME`), where the
    /// database credentials are the authority and no secret is asked. AUTH_FAILED when unknown.
    public func principalID(named name: String) async throws -> Int {
        guard !name.contains("\u{0}"), name.utf8.count <= 64,
            let row = try await pool.query("SELECT id FROM principal WHERE name = $1", [name]).first
        else { throw DomainError(.authFailed, detail: "no_principal", ["name": "\(name.prefix(64))"]) }
        return try row.decode("id")
    }

    /// The caller as the service sees it now (roles, member).
    public func whoami(_ principal: Int) async throws -> Caller {
        try await pool.withConnection { try await Self.loadCaller($0, id: principal) }
    }

    /// Confirms a principal created for the caller's own member (`USER CONFIRM`): only an active
    /// clerk of that member may, never the operator who created it.
    public func confirmPrincipal(by principal: Int, name: String) async throws {
        try await change(by: principal) { context in
            let row = try await context.query(
                """
                SELECT p.id, p.awaiting_confirmation, r.mechanism_code, r.member_code
                  FROM principal p JOIN principal_role r ON r.principal_id = p.id
                 WHERE p.name = $1 AND r.role = 'clerk' FOR UPDATE OF p
                """, [name]
            ).first
            guard let row else { throw DomainError.notFound("clerk", name) }
            let id: Int = try row.decode("id")
            let mechanism: String = try row.decode("mechanism_code")
            let member: String = try row.decode("member_code")
            guard context.caller.clerkMember(in: mechanism) == member, id != context.caller.id else {
                throw DomainError(.notOwnMember, detail: "confirmers", ["member": "\(member)", "name": "\(name)"])
            }
            guard try row.decode("awaiting_confirmation", as: Bool.self) else {
                throw DomainError(.wrongState, detail: "not_awaiting", ["name": "\(name)"], state: "active")
            }
            try await context.query(
                "UPDATE principal SET awaiting_confirmation = false, confirmed_by = $2, confirmed_at = $3 WHERE id = $1",
                [id, context.caller.id, context.now])
            try await context.audit(
                "principal.confirm", entity: "principal", id: id, mechanism: mechanism,
                after: try PostgresJSON(encoding: ["name": name, "member": member]))
            return ()
        }
    }

    public func disablePrincipal(by principal: Int, name: String) async throws {
        let disabled = try await change(by: principal) { context in
            try context.requireOperator(to: "disable principals")
            let row = try await context.query(
                "UPDATE principal SET disabled_at = $2 WHERE name = $1 AND disabled_at IS NULL RETURNING id",
                [name, context.now]
            ).first
            guard let row else { throw DomainError.notFound("enabled principal", name) }
            let id: Int = try row.decode("id")
            guard id != context.caller.id else { throw DomainError.invalid("disable_self") }
            // Every web session of the principal ends with it, in the same transaction.
            try await context.query("DELETE FROM web_session WHERE principal_id = $1", [id])
            try await context.audit("principal.disable", entity: "principal", id: id, mechanism: nil)
            return id
        }
        // At once here; other servers when the notification arrives.
        callers?.forget(disabled)
    }

    public func listPrincipals(by principal: Int) async throws -> [PrincipalInfo] {
        try await read(by: principal) { context in
            try context.requireOperator(to: "list principals")
            let rows = try await context.query(
                """
                SELECT p.id, p.name, p.display_name, p.disabled_at IS NOT NULL AS disabled, p.awaiting_confirmation,
                       r.role, r.mechanism_code, r.member_code
                FROM principal p LEFT JOIN principal_role r ON r.principal_id = p.id ORDER BY p.name, r.role
                """)
            var result: [PrincipalInfo] = []
            for row in rows {
                let id: Int = try row.decode("id")
                if result.last?.id != id {
                    result.append(
                        PrincipalInfo(
                            id: id, name: try row.decode("name"), displayName: try row.decode("display_name"),
                            grants: [],
                            disabled: try row.decode("disabled"),
                            awaitingConfirmation: try row.decode("awaiting_confirmation")))
                }
                if let role = try row.decode("role", as: String?.self).flatMap(Role.init(rawValue:)) {
                    result[result.count - 1].grants.append(
                        Caller.Grant(
                            role: role, mechanism: try row.decode("mechanism_code"),
                            member: try row.decode("member_code")))
                }
            }
            return result
        }
    }

    /// 24 characters from a 32-letter alphabet without look-alikes: 120 bits.
    static func generateSecret() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789A")
        var generator = SystemRandomNumberGenerator()
        return String((0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }
}
