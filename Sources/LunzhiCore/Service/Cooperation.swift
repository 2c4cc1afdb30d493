import Foundation
public import PostgresLibPQ

/// The cooperation mechanism's service: every workflow rule, enforced once, here.
///
/// Each change runs in one transaction with its audit event and the reminders it schedules.
/// Authority is read from the data on every call: the caller's roles, and for chair powers the
/// rotation calendar on the caller's clock's date.
public struct Cooperation: Sendable {
    public let pool: PostgresPool
    public let clock: any ServiceClock
    /// The mechanism used when a request does not name one.
    public let defaultMechanism: String
    /// bcrypt's cost for new secrets (2^cost rounds); tests lower it.
    public let bcryptCost: Int
    /// Where auditors' queries read (a streaming replica); nil: the primary. Their reads are still
    /// recorded on the primary.
    public let auditReadPool: PostgresPool?
    /// Callers remembered between reads (nil: every read loads its caller). Runs only while its
    /// `follow` runs.
    public let callers: CallerCache?
    /// The sign-in throttle's limits (`signIn`).
    public let signInPolicy: SignInThrottlePolicy
    /// Where webhook contacts may point (`addContact`).
    public let webhookPolicy: WebhookPolicy
    /// How long web sessions live (`webSession`).
    public let webSessionPolicy: WebSessionPolicy
    /// A hash at `bcryptCost` of a random secret, for sign-ins with an unknown name.
    let dummyHash: DummyHash

    public init(
        pool: PostgresPool, clock: any ServiceClock = SystemClock(), defaultMechanism: String = "NW5",
        bcryptCost: Int = 10, auditReadPool: PostgresPool? = nil, callers: CallerCache? = nil,
        signInPolicy: SignInThrottlePolicy = SignInThrottlePolicy(), webhookPolicy: WebhookPolicy = WebhookPolicy(),
        webSessionPolicy: WebSessionPolicy = WebSessionPolicy()
    ) {
        self.pool = pool
        self.webSessionPolicy = webSessionPolicy
        self.webhookPolicy = webhookPolicy
        self.signInPolicy = signInPolicy
        self.dummyHash = DummyHash(cost: bcryptCost)
        self.callers = callers
        self.auditReadPool = auditReadPool
        self.clock = clock
        self.defaultMechanism = defaultMechanism
        self.bcryptCost = bcryptCost
    }

    /// Runs a change for `principal` in one transaction, with its context (caller, time, audit).
    func change<T>(
        by principal: Int, _ body: (ChangeContext) async throws -> T
    ) async throws -> T {
        let now = clock.now()
        return try await pool.transaction { connection in
            let caller = try await Self.loadCaller(connection, id: principal)
            return try await mapDatabaseErrors {
                try await body(ChangeContext(connection: connection, caller: caller, now: now, cooperation: self))
            }
        }
    }

    /// Runs a read for `principal` (roles checked by `body`).
    func read<T>(by principal: Int, _ body: (ChangeContext) async throws -> T) async throws -> T {
        let now = clock.now()
        return try await pool.withConnection { connection in
            let caller = try await readCaller(connection, id: principal)
            return try await body(ChangeContext(connection: connection, caller: caller, now: now, cooperation: self))
        }
    }

    /// The caller for a read: remembered, or loaded (and then remembered).
    private func readCaller(_ connection: PostgresConnection, id: Int) async throws -> Caller {
        guard let callers else { return try await Self.loadCaller(connection, id: id) }
        if let caller = callers.cached(id) { return caller }
        let generation = callers.generation
        let caller = try await Self.loadCaller(connection, id: id)
        callers.remember(caller, loadedAt: generation)
        return caller
    }

    static func loadCaller(_ connection: PostgresConnection, id: Int) async throws -> Caller {
        let rows = try await connection.query(
            """
            SELECT p.name, p.disabled_at IS NOT NULL AS disabled, p.awaiting_confirmation, r.role, r.mechanism_code, r.member_code
            FROM principal p LEFT JOIN principal_role r ON r.principal_id = p.id
            WHERE p.id = $1
            """, [id])
        guard let first = rows.first else { throw DomainError(.authFailed, detail: "principal_unknown", ["id": "\(id)"]) }
        if try first.decode("disabled", as: Bool.self) {
            throw DomainError(.authFailed, detail: "principal_disabled", ["name": "\(try first.decode("name", as: String.self))"])
        }
        if try first.decode("awaiting_confirmation", as: Bool.self) {
            throw DomainError(
                .authFailed, detail: "principal_unconfirmed", ["name": "\(try first.decode("name", as: String.self))"])
        }
        var grants: [Caller.Grant] = []
        for row in rows {
            guard let role = try row.decode("role", as: String?.self).flatMap(Role.init(rawValue:)) else { continue }
            grants.append(
                Caller.Grant(
                    role: role, mechanism: try row.decode("mechanism_code"), member: try row.decode("member_code")))
        }
        return Caller(id: id, name: try first.decode("name"), grants: grants)
    }

    /// Turns the database's constraint violations into domain errors (the service checks first;
    /// these catch what slipped past, such as a race, and name the constraint).
    func mapDatabaseErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError where error.kind == .server {
            switch error.code {
            case .exclusionViolation where error.constraintName?.hasPrefix("chair_term") == true,
                .exclusionViolation where error.constraintName?.hasPrefix("acting_chair") == true:
                throw DomainError(.termOverlap, detail: "period_overlaps", ["constraint": "\(error.constraintName ?? "")"])
            case .exclusionViolation, .uniqueViolation:
                throw DomainError(
                    .alreadyExists, detail: "database_duplicate",
                    ["database": "\(error.detail ?? error.message)", "constraint": "\(error.constraintName ?? "")"])
            case .checkViolation where error.constraintName?.hasSuffix("justified") == true:
                throw DomainError(.justificationRequired, detail: "special_needs_justification")
            case .checkViolation, .notNullViolation, .stringDataRightTruncation, .numericValueOutOfRange,
                .invalidTextRepresentation, .invalidDatetimeFormat:
                throw DomainError(
                    .invalidArgument, detail: "database_refused",
                    ["database": "\(error.message)", "constraint": "\(error.constraintName ?? error.code.rawValue)"])
            case .foreignKeyViolation:
                throw DomainError(.notFound, detail: "database_missing", ["database": "\(error.detail ?? error.message)"])
            default:
                throw error
            }
        }
    }
}

/// What a change runs with: the open transaction, the caller, the clock's time.
struct ChangeContext {
    let connection: PostgresConnection
    let caller: Caller
    let now: Date
    let cooperation: Cooperation

    var today: CalendarDate { ShanghaiCalendar.date(of: now) }

    @discardableResult
    func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresRows {
        try await connection.query(sql, parameters)
    }

    /// The mechanism a request is about: the one named, else the caller's only clerk mechanism,
    /// else the default. Checks that it exists.
    func mechanism(_ named: String?) async throws -> String {
        let code = mechanismCode(named)
        let exists = try await query("SELECT 1 FROM mechanism WHERE code = $1", [code])
        guard !exists.isEmpty else { throw DomainError.notFound("mechanism", code) }
        return code
    }

    /// The mechanism a request is about, not checked: for a query that checks it itself.
    func mechanismCode(_ named: String?) -> String {
        named ?? (caller.clerkMechanisms.count == 1 ? caller.clerkMechanisms[0] : cooperation.defaultMechanism)
    }

    /// The member the caller files for in a mechanism; clerks only.
    func ownMember(in mechanism: String) throws(DomainError) -> String {
        guard let member = caller.clerkMember(in: mechanism) else {
            throw DomainError(.forbidden, detail: "not_a_clerk", ["name": "\(caller.name)", "mechanism": "\(mechanism)"])
        }
        return member
    }

    /// The member with chair powers today; refuses unless the caller is one of its clerks.
    @discardableResult
    func requireChair(in mechanism: String, to doWhat: String) async throws -> String {
        let chair = try await Rotation.chair(connection, mechanism: mechanism, on: today)
        guard let chair else {
            throw DomainError(
                .notChair, detail: "no_chair",
                ["mechanism": "\(mechanism)", "date": "\(today)", "action": .doing(doWhat)])
        }
        guard caller.clerkMember(in: mechanism) == chair.member else {
            throw DomainError(
                .notChair, detail: "only_chair", ["member": "\(chair.member)", "date": "\(today)", "action": .doing(doWhat)])
        }
        return chair.member
    }

    func requireOperator(to doWhat: String) throws(DomainError) {
        guard caller.isOperator() else {
            throw DomainError(.forbidden, detail: "only_operator", ["action": .doing(doWhat)])
        }
    }

    func requireAuditor(to doWhat: String) throws(DomainError) {
        guard caller.isAuditor() else {
            throw DomainError(.forbidden, detail: "only_auditor", ["action": .doing(doWhat)])
        }
    }

    /// Appends the audit event of this change (sealed and chained by the database).
    func audit(
        _ action: String, entity: String, id: some CustomStringConvertible, mechanism: String?,
        before: PostgresJSON? = nil, after: PostgresJSON? = nil, reason: String? = nil
    ) async throws {
        try await query(
            """
            INSERT INTO audit_event (at, principal_id, principal_name, mechanism_code, member_code, action,
                                     entity, entity_id, before, after, reason, prev_hash, hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '\\x'::bytea, '\\x'::bytea)
            """,
            [
                now, caller.id, caller.name, mechanism, mechanism.flatMap { caller.clerkMember(in: $0) }, action,
                entity, id.description, before, after, reason,
            ])
    }

    /// A row of a table as JSON, for audit before/after images. `table` is one of the service's
    /// own table names, never user input.
    func snapshot(_ table: AuditedTable, id: Int) async throws -> PostgresJSON? {
        try await query("SELECT to_jsonb(t) AS j FROM \(table.rawValue) t WHERE id = $1", [id]).first?.decode("j")
    }

    /// Schedules a reminder to a member (delivered by the reminder daemon).
    func remind(
        _ kind: ReminderKind, mechanism: String, member: String, entity: String, id: some CustomStringConvertible,
        due: Date? = nil, payload: [String: String] = [:]
    ) async throws {
        let dueAt = due ?? now
        let key = "\(kind):\(entity):\(id):\(member):\(PostgresTimestamp.microseconds(dueAt))"
        try await query(
            """
            INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key, payload)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (idempotency_key) WHERE state IN ('pending', 'running') DO NOTHING
            """,
            [mechanism, member, kind, entity, id.description, dueAt, key, try PostgresJSON(encoding: payload)])
    }

    func members(of mechanism: String) async throws -> [String] {
        try await query("SELECT code FROM member WHERE mechanism_code = $1 ORDER BY rotation_order", [mechanism])
            .map { try $0.decode("code") }
    }
}

/// Tables whose rows are snapshotted into audit events.
enum AuditedTable: String {
    case agendaItem = "agenda_item"
    case consultation
    case approval
    case project
    case principal
    case chairTerm = "chair_term"
    case rotationException = "rotation_exception"
    case actingChair = "acting_chair"
}
