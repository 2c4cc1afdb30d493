public import PostgresLibPQ

/// A member of a mechanism, with its commission's name on a given day.
public struct MemberInfo: Sendable, Equatable {
    public var code: String
    public var isoCode: String?
    public var gbCode: String?
    public var rotationOrder: Int
    public var name: String?
}

extension Cooperation {
    /// The members, in rotation order, named as they were called on `date` (today by default).
    public func members(by principal: Int, mechanism: String? = nil, on date: CalendarDate? = nil) async throws
        -> [MemberInfo]
    {
        if let date { try InputRange.check(date, "the date") }
        return try await read(by: principal) { context in
            try await loadMembers(context, mechanism: mechanism, on: date ?? context.today)
        }
    }

    /// A mechanism's members (the default one when nil) with their names valid on `date`.
    func loadMembers(_ context: ChangeContext, mechanism: String?, on date: CalendarDate) async throws -> [MemberInfo] {
        let mechanism = try await context.mechanism(mechanism)
        return try await context.query(
            """
            SELECT m.code, m.iso_code, m.gb_code, m.rotation_order,
                   (SELECT name FROM member_name n WHERE n.mechanism_code = m.mechanism_code
                      AND n.member_code = m.code AND n.valid @> $2::date) AS name
            FROM member m WHERE m.mechanism_code = $1 ORDER BY m.rotation_order
            """, [mechanism, date]
        ).map {
            MemberInfo(
                code: try $0.decode("code"), isoCode: try $0.decode("iso_code"), gbCode: try $0.decode("gb_code"),
                rotationOrder: try $0.decode("rotation_order"), name: try $0.decode("name"))
        }
    }

    /// Records a commission's new name from a date on (the old name stays valid until then).
    public func renameMember(
        by principal: Int, mechanism: String? = nil, member: String, name: String, from: CalendarDate
    ) async throws {
        let name = try TextRule.check(name, field: "name", maxLength: 200)
        try InputRange.check(from, "from")
        try await change(by: principal) { context in
            try context.requireOperator(to: "rename members")
            let mechanism = try await context.mechanism(mechanism)
            guard try await context.members(of: mechanism).contains(member) else {
                throw DomainError.notFound("member", member)
            }
            try await context.query(
                """
                UPDATE member_name SET valid = daterange(lower(valid), $3::date)
                WHERE mechanism_code = $1 AND member_code = $2 AND valid @> $3::date AND lower(valid) < $3::date
                """, [mechanism, member, from])
            try await context.query(
                "INSERT INTO member_name (mechanism_code, member_code, name, valid) VALUES ($1, $2, $3, daterange($4::date, NULL))",
                [mechanism, member, name, from])
            try await context.audit(
                "member.rename", entity: "member", id: "\(mechanism)/\(member)", mechanism: mechanism,
                after: try PostgresJSON(encoding: ["name": name, "from": from.description]))
        }
    }

    /// Creates a further mechanism (e.g. an east–west pair) with its members in rotation order.
    public func createMechanism(
        by principal: Int, code: String, name: String, members: [(code: String, name: String)]
    ) async throws {
        let name = try TextRule.check(name, field: "name", maxLength: 200)
        guard code.range(of: "^[A-Z][A-Z0-9]{1,15}$", options: .regularExpression) != nil else {
            throw DomainError.invalid("mechanism_code")
        }
        guard members.count >= 2, Set(members.map(\.code)).count == members.count else {
            throw DomainError.invalid("mechanism_members")
        }
        try await change(by: principal) { context in
            try context.requireOperator(to: "create mechanisms")
            try await context.query("INSERT INTO mechanism (code, name) VALUES ($1, $2)", [code, name])
            for (index, member) in members.enumerated() {
                let memberName = try TextRule.check(member.name, field: "member name", maxLength: 200)
                try await context.query(
                    "INSERT INTO member (mechanism_code, code, rotation_order) VALUES ($1, $2, $3)",
                    [code, member.code, index + 1])
                try await context.query(
                    "INSERT INTO member_name (mechanism_code, member_code, name, valid) VALUES ($1, $2, $3, daterange($4::date, NULL))",
                    [code, member.code, memberName, context.today])
            }
            try await context.audit(
                "mechanism.create", entity: "mechanism", id: code, mechanism: code,
                after: try PostgresJSON(encoding: ["name": name, "members": members.map(\.code).joined(separator: ",")])
            )
        }
    }
}

/// A mechanism's decision and deadline settings.
public struct MechanismSettings: Sendable, Equatable {
    /// Positions needed to adopt at meetings; nil means every member.
    public var quorum: Int?
    public var dueDaysRegular: Int
    public var dueDaysUrgent: Int
    public var dueDaysSpecial: Int

    public init(quorum: Int?, dueDaysRegular: Int, dueDaysUrgent: Int, dueDaysSpecial: Int) {
        self.quorum = quorum
        self.dueDaysRegular = dueDaysRegular
        self.dueDaysUrgent = dueDaysUrgent
        self.dueDaysSpecial = dueDaysSpecial
    }
}

extension Cooperation {
    public func mechanismSettings(by principal: Int, mechanism: String? = nil) async throws -> MechanismSettings {
        try await read(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let row = try await context.query(
                "SELECT quorum, due_days_regular, due_days_urgent, due_days_special FROM mechanism WHERE code = $1",
                [mechanism]
            ).single()
            return MechanismSettings(
                quorum: try row.decode("quorum"), dueDaysRegular: try row.decode("due_days_regular"),
                dueDaysUrgent: try row.decode("due_days_urgent"), dueDaysSpecial: try row.decode("due_days_special"))
        }
    }

    /// Sets the quorum and the approval due days. Operators only; recorded with a reason.
    public func configureMechanism(
        by principal: Int, mechanism: String? = nil, _ settings: MechanismSettings, reason: String
    ) async throws {
        let reason = try TextRule.check(reason, field: "reason", maxLength: 2000, multiline: true)
        for days in [settings.dueDaysRegular, settings.dueDaysUrgent, settings.dueDaysSpecial]
        where !(1...365).contains(days) {
            throw DomainError.invalid("due_days")
        }
        try await change(by: principal) { context in
            try context.requireOperator(to: "configure mechanisms")
            let mechanism = try await context.mechanism(mechanism)
            let memberCount = try await context.members(of: mechanism).count
            if let quorum = settings.quorum, !(1...memberCount).contains(quorum) {
                throw DomainError.invalid("quorum_range", ["count": "\(memberCount)"])
            }
            let before = try await context.query(
                "SELECT to_jsonb(m) AS j FROM mechanism m WHERE code = $1", [mechanism]
            ).single().decode("j", as: PostgresJSON.self)
            try await context.query(
                """
                UPDATE mechanism SET quorum = $2, due_days_regular = $3, due_days_urgent = $4, due_days_special = $5
                WHERE code = $1
                """,
                [mechanism, settings.quorum, settings.dueDaysRegular, settings.dueDaysUrgent, settings.dueDaysSpecial])
            let after = try await context.query("SELECT to_jsonb(m) AS j FROM mechanism m WHERE code = $1", [mechanism])
                .single().decode("j", as: PostgresJSON.self)
            try await context.audit(
                "mechanism.configure", entity: "mechanism", id: mechanism, mechanism: mechanism, before: before,
                after: after, reason: reason)
        }
    }
}
