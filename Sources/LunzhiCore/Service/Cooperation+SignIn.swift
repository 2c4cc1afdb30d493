import Dispatch
public import Foundation
public import PostgresLibPQ

extension Cooperation {
    /// Signs a principal in: the one check that the console's AUTH and the web's sign-in share.
    ///
    /// - The attempt is counted **before** the secret is compared: one reservation row per key
    ///   (`address:<peer>`, `name:<name>`) is written in its own transaction under an advisory
    ///   lock per key, so concurrent guesses cannot all pass the limit, and every process sharing
    ///   the database shares the counts. A success deletes only its own reservations; another
    ///   principal's success never resets anyone's count.
    /// - Every attempt that reaches the comparison makes exactly one bcrypt comparison at the
    ///   configured cost — against the principal's hash, or a fixed dummy hash for an unknown or
    ///   malformed name — and a disabled principal is refused only after it: timing does not
    ///   tell names or account states apart. Every refusal is the same AUTH_FAILED.
    /// - The secret is compared here, never sent to PostgreSQL.
    public func signIn(name: String, secret: String, from address: String) async throws -> Int {
        let policy = signInPolicy
        let now = clock.now()
        // Keys hold what PostgreSQL's text can: a NUL in a name is counted as the name without it.
        let keys = ["address:" + String(address.prefix(200)), "name:" + String(name.prefix(64))].map {
            $0.replacingOccurrences(of: "\u{0}", with: "")
        }
        let reserved: (ids: [Int], earlier: Int)? = try await pool.transaction { connection in
            var earlier = 0
            for key in keys.sorted() {
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [key])
                let count: Int = try await connection.query(
                    "SELECT count(*) AS n FROM sign_in_failure WHERE key = $1 AND at > $2",
                    [key, now.addingTimeInterval(-policy.window)]
                ).single().decode("n")
                if count >= policy.limit { return nil }
                earlier = max(earlier, count)
            }
            var ids: [Int] = []
            for key in keys {
                ids.append(
                    try await connection.query(
                        "INSERT INTO sign_in_failure (key, at) VALUES ($1, $2) RETURNING id", [key, now]
                    ).single().decode("id"))
            }
            // Old rows go as new ones come: the table holds at most a window's failures.
            try await connection.query(
                "DELETE FROM sign_in_failure WHERE key = ANY($1::text[]) AND at <= $2",
                [keys, now.addingTimeInterval(-policy.window)])
            return (ids, earlier)
        }
        guard let reserved else {
            throw DomainError(.authFailed, detail: "too_many_sign_ins", ["minutes": "\(Int(policy.window / 60))"])
        }
        let delay = policy.delay(afterFailures: reserved.earlier)
        if delay > .zero { try await Task.sleep(for: delay) }

        let id = try await checkSecret(name: name, secret: secret)
        try await pool.query("DELETE FROM sign_in_failure WHERE id = ANY($1::bigint[])", [reserved.ids])
        return id
    }

    /// Checks a name and secret without the throttle (the service's own tests and tools);
    /// front ends call `signIn`.
    public func authenticate(name: String, secret: String) async throws -> Int {
        try await checkSecret(name: name, secret: secret)
    }

    /// The comparison itself: exactly one bcrypt comparison at the configured cost whatever the
    /// reason for a refusal — the principal's hash, or the dummy hash for an unknown or malformed
    /// name — and the same AUTH_FAILED for every refusal.
    private func checkSecret(name: String, secret: String) async throws -> Int {
        let wellFormed =
            !name.contains("\u{0}") && !secret.contains("\u{0}") && secret.utf8.count <= 200 && name.utf8.count <= 64
        let row =
            wellFormed
            ? try await pool.query(
                "SELECT id, secret_hash, disabled_at IS NULL AND NOT awaiting_confirmation AS enabled FROM principal WHERE name = $1",
                [name]
            ).first : nil
        let stored: String? = try row?.decode("secret_hash")
        let hash: String
        if let stored { hash = stored } else { hash = await dummyHash.value() }
        let matches = await Self.offThePool { BCrypt.verify(secret, hash: hash) }
        SignInProbe.current?.record(cost: BCrypt.cost(of: hash) ?? -1)
        guard let row, matches, try row.decode("enabled", as: Bool.self) else {
            throw DomainError(.authFailed, detail: "wrong_secret")
        }
        return try row.decode("id")
    }

    /// A bcrypt hash of a new secret at the configured cost, made in the service.
    func hashSecret(_ secret: String) async -> String {
        let cost = bcryptCost
        return await Self.offThePool { BCrypt.hash(secret, cost: cost) }
    }

    /// bcrypt's rounds are CPU work of tens of milliseconds: they run on Dispatch's threads, not
    /// on the event loops that serve every connection.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
