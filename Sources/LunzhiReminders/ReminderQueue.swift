import Crypto
public import Foundation
public import LunzhiCore
public import PostgresLibPQ

/// A reminder claimed by a daemon, with what delivery needs.
public struct ClaimedReminder: Sendable, Equatable {
    public var id: Int
    public var mechanism: String
    public var recipient: String
    public var kind: ReminderKind
    public var entity: String
    public var entityID: String
    public var dueAt: Date
    public var idempotencyKey: String
    public var payload: PostgresJSON
    public var attempt: Int
    public var maxAttempts: Int

    /// SHA-256 of the idempotency key, hex: the e-mail Message-ID derives from it.
    public var keyHash: String {
        Hex.encode(SHA256.hash(data: Data(idempotencyKey.utf8)))
    }
}

/// The reminder queue in PostgreSQL.
///
/// Claiming is one statement: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)
/// RETURNING …`, served by a partial index on pending rows. A claimed row carries its owner and a
/// lease; a daemon that dies leaves rows whose lease expires, and `reclaimExpired` makes them
/// claimable again. Completion checks the owner, so a daemon whose lease was taken over cannot
/// overwrite the new owner's result.
public struct ReminderQueue: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Claims up to `limit` reminders due at `now` for `owner`, leased for `lease` seconds.
    public func claim(owner: String, now: Date, limit: Int, lease: TimeInterval) async throws -> [ClaimedReminder] {
        let rows = try await pool.query(
            """
            UPDATE reminder r
               SET state = 'running', owner = $1, lease_expires_at = $2::timestamptz + make_interval(secs => $3),
                   attempts = r.attempts + 1
             WHERE r.id IN (SELECT id FROM reminder WHERE state = 'pending' AND run_at <= $2
                            ORDER BY run_at LIMIT $4 FOR UPDATE SKIP LOCKED)
            RETURNING r.id, r.mechanism_code, r.recipient_member, r.kind, r.entity, r.entity_id, r.due_at,
                      r.idempotency_key, r.payload, r.attempts, r.max_attempts
            """, [owner, now, lease, limit])
        return try rows.map {
            ClaimedReminder(
                id: try $0.decode("id"), mechanism: try $0.decode("mechanism_code"),
                recipient: try $0.decode("recipient_member"),
                kind: try $0.decode("kind"), entity: try $0.decode("entity"), entityID: try $0.decode("entity_id"),
                dueAt: try $0.decode("due_at"), idempotencyKey: try $0.decode("idempotency_key"),
                payload: try $0.decode("payload"), attempt: try $0.decode("attempts"),
                maxAttempts: try $0.decode("max_attempts"))
        }
    }

    /// Makes rows whose lease expired (their daemon died) claimable again. Returns how many.
    @discardableResult
    public func reclaimExpired(now: Date) async throws -> Int {
        try await pool.query(
            """
            UPDATE reminder SET state = 'pending', owner = NULL, lease_expires_at = NULL, run_at = $1
            WHERE state = 'running' AND lease_expires_at < $1
            """, [now]
        ).affectedRows
    }

    /// Records one attempt on one channel.
    public func recordAttempt(_ reminder: ClaimedReminder, channel: String, address: String, at: Date, error: String?)
        async throws
    {
        try await pool.query(
            """
            INSERT INTO reminder_attempt (reminder_id, attempt, channel, address, at, ok, error)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (reminder_id, attempt, channel, address) DO UPDATE SET ok = EXCLUDED.ok, error = EXCLUDED.error
            """, [reminder.id, reminder.attempt, channel, address, at, error == nil, error])
    }

    /// The channel addresses that already received this reminder in an earlier attempt.
    public func deliveredAddresses(_ reminder: ClaimedReminder) async throws -> Set<String> {
        Set(
            try await pool.query(
                "SELECT channel || ':' || address AS a FROM reminder_attempt WHERE reminder_id = $1 AND ok",
                [reminder.id]
            ).map { try $0.decode("a", as: String.self) })
    }

    /// Ends a reminder (delivered, skipped or dead) if `owner` still holds it. False when the
    /// lease was lost to another daemon.
    @discardableResult
    public func finish(_ reminder: ClaimedReminder, owner: String, state: ReminderState, outcome: String, at: Date)
        async throws -> Bool
    {
        try await pool.query(
            """
            UPDATE reminder SET state = $3, outcome = $4, finished_at = $5, owner = NULL, lease_expires_at = NULL
            WHERE id = $1 AND owner = $2 AND state = 'running'
            """, [reminder.id, owner, state, outcome, at]
        ).affectedRows == 1
    }

    /// Puts a reminder back for another attempt at `runAt`.
    @discardableResult
    public func retry(_ reminder: ClaimedReminder, owner: String, runAt: Date, error: String) async throws -> Bool {
        try await pool.query(
            """
            UPDATE reminder SET state = 'pending', run_at = $3, outcome = $4, owner = NULL, lease_expires_at = NULL
            WHERE id = $1 AND owner = $2 AND state = 'running'
            """, [reminder.id, owner, runAt, error]
        ).affectedRows == 1
    }

    /// The earliest time a pending reminder becomes due, if any.
    public func nextDue() async throws -> Date? {
        try await pool.query("SELECT min(run_at) AS next FROM reminder WHERE state = 'pending'").single().decode("next")
    }

    /// Deletes finished reminders older than `before`, in batches, by one daemon at a time
    /// (a transaction-level advisory lock; others skip). Returns how many were deleted.
    public func prune(before: Date, batch: Int = 1000) async throws -> Int {
        try await pool.transaction { connection in
            let locked: Bool = try await connection.query(
                "SELECT pg_try_advisory_xact_lock(7308044262318960229) AS ok"  // 'lunzhipr'
            ).single().decode("ok")
            guard locked else { return 0 }
            return try await connection.query(
                """
                DELETE FROM reminder WHERE id IN (
                    SELECT id FROM reminder WHERE state IN ('delivered', 'skipped', 'dead') AND finished_at < $1
                    ORDER BY finished_at LIMIT $2)
                """, [before, batch]
            ).affectedRows
        }
    }
}

/// Retry timing: exponential backoff with jitter.
public struct Backoff: Sendable {
    public var base: TimeInterval
    public var cap: TimeInterval

    public init(base: TimeInterval = 10, cap: TimeInterval = 3600) {
        self.base = base
        self.cap = cap
    }

    /// The delay before attempt `attempt + 1`: base·2^(attempt−1), at most `cap`, ±25 % jitter.
    public func delay(afterAttempt attempt: Int) -> TimeInterval {
        let raw = min(cap, base * pow(2, Double(max(0, attempt - 1))))
        return raw * Double.random(in: 0.75...1.25)
    }
}

extension ReminderQueue {
    /// A member's enabled contacts.
    public func contacts(mechanism: String, member: String) async throws -> [(
        channel: String, address: String, secret: String?
    )] {
        try await pool.query(
            """
            SELECT c.channel, c.address, s.secret FROM member_contact c LEFT JOIN member_contact_secret s ON s.contact_id = c.id
            WHERE c.mechanism_code = $1 AND c.member_code = $2 AND c.enabled ORDER BY c.id
            """,
            [mechanism, member]
        ).map { (try $0.decode("channel"), try $0.decode("address"), try $0.decode("secret")) }
    }
}

extension ReminderQueue {
    /// Enabled contacts of several members at once, keyed by "mechanism/member".
    public func contacts(of recipients: [(mechanism: String, member: String)]) async throws
        -> [String: [(channel: String, address: String, secret: String?)]]
    {
        let keys = Array(Set(recipients.map { "\($0.mechanism)/\($0.member)" }))
        var result: [String: [(channel: String, address: String, secret: String?)]] = [:]
        for row in try await pool.query(
            """
            SELECT c.mechanism_code || '/' || c.member_code AS k, c.channel, c.address, s.secret
              FROM member_contact c LEFT JOIN member_contact_secret s ON s.contact_id = c.id
            WHERE c.mechanism_code || '/' || c.member_code = ANY($1::text[]) AND c.enabled ORDER BY c.id
            """, [keys])
        {
            result[try row.decode("k"), default: []].append(
                (try row.decode("channel"), try row.decode("address"), try row.decode("secret")))
        }
        return result
    }

    /// Ends many reminders in one statement; returns the ids this owner still held.
    @discardableResult
    public func finish(ids: [Int], owner: String, state: ReminderState, outcomes: [String], at: Date) async throws
        -> Set<Int>
    {
        guard !ids.isEmpty else { return [] }
        return Set(
            try await pool.query(
                """
                UPDATE reminder r SET state = $3, outcome = o.outcome, finished_at = $5, owner = NULL, lease_expires_at = NULL
                FROM unnest($1::bigint[], $4::text[]) AS o(id, outcome)
                WHERE r.id = o.id AND r.owner = $2 AND r.state = 'running'
                RETURNING r.id
                """, [ids, owner, state, outcomes, at]
            ).map { try $0.decode("id", as: Int.self) })
    }
}
