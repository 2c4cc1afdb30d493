public import Foundation
import PostgresLibPQ

/// How long a web session lives: idle expiry and absolute expiry (docs/web.md).
public struct WebSessionPolicy: Sendable, Equatable {
    public var idle: TimeInterval
    public var absolute: TimeInterval
    public init(idle: TimeInterval = 30 * 60, absolute: TimeInterval = 12 * 3600) {
        self.idle = idle
        self.absolute = absolute
    }
}

/// A signed-in browser: the cookie's token (never stored; only its SHA-256 is) and the CSRF
/// token its forms carry.
public struct WebSession: Sendable, Equatable {
    public var token: String
    public var principal: Int
    public var csrfToken: String
    public var language: Language
    /// Whether the principal still signs in with the secret it was handed (the web asks for a
    /// passphrase of its own before anything else).
    public var mustChoosePassphrase: Bool
}

extension Cooperation {
    /// Signs a principal in for the web: the same `signIn` as the console's AUTH (one throttle
    /// for both), then a new session with a new id, so no token chosen before sign-in survives it.
    public func startWebSession(name: String, secret: String, from address: String) async throws -> WebSession {
        let principal = try await signIn(name: name, secret: secret, from: address)
        let token = Self.randomToken()
        let csrf = Self.randomToken()
        let now = clock.now()
        let row = try await pool.transaction { connection in
            // Expired sessions go as new ones come.
            try await connection.query(
                "DELETE FROM web_session WHERE principal_id = $1 AND (last_seen_at < $2 OR created_at < $3)",
                [principal, now.addingTimeInterval(-webSessionPolicy.idle),
                 now.addingTimeInterval(-webSessionPolicy.absolute)])
            try await connection.query(
                """
                INSERT INTO web_session (token_hash, principal_id, csrf_token, created_at, last_seen_at, address)
                VALUES (sha256(convert_to($1, 'UTF8')), $2, $3, $4, $4, $5)
                """, [token, principal, csrf, now, String(address.prefix(200))])
            return try await connection.query(
                "SELECT language, passphrase_set_at IS NULL AS must FROM principal WHERE id = $1", [principal]
            ).single()
        }
        return WebSession(
            token: token, principal: principal, csrfToken: csrf,
            language: Language(rawValue: try row.decode("language")) ?? .zh, mustChoosePassphrase: try row.decode("must"))
    }

    /// The live session of a cookie's token, or nil (unknown, expired by idleness or age, or its
    /// principal disabled). Marks it seen (at most once a minute, so pages stay reads).
    public func webSession(token: String) async throws -> WebSession? {
        guard token.utf8.count == 43, token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        let now = clock.now()
        let rows = try await pool.query(
            """
            SELECT s.principal_id, s.csrf_token, s.last_seen_at, p.language, p.passphrase_set_at IS NULL AS must
            FROM web_session s JOIN principal p ON p.id = s.principal_id
            WHERE s.token_hash = sha256(convert_to($1, 'UTF8')) AND s.last_seen_at >= $2 AND s.created_at >= $3
              AND p.disabled_at IS NULL
            """,
            [token, now.addingTimeInterval(-webSessionPolicy.idle), now.addingTimeInterval(-webSessionPolicy.absolute)])
        guard let row = rows.first else { return nil }
        let lastSeen: Date = try row.decode("last_seen_at")
        if now.timeIntervalSince(lastSeen) > 60 {
            try await pool.query(
                "UPDATE web_session SET last_seen_at = $2 WHERE token_hash = sha256(convert_to($1, 'UTF8'))", [token, now])
        }
        return WebSession(
            token: token, principal: try row.decode("principal_id"), csrfToken: try row.decode("csrf_token"),
            language: Language(rawValue: try row.decode("language")) ?? .zh, mustChoosePassphrase: try row.decode("must"))
    }

    /// Signs out: ends every session of the token's principal, on every browser, at once.
    public func endWebSession(token: String) async throws {
        try await pool.query(
            """
            DELETE FROM web_session WHERE principal_id =
                (SELECT principal_id FROM web_session WHERE token_hash = sha256(convert_to($1, 'UTF8')))
            """, [token])
    }

    /// The SHA-256 of a session token as stored (to keep one session when others end).
    public func webSessionKey(token: String) async throws -> Data {
        try await pool.query("SELECT sha256(convert_to($1, 'UTF8')) AS h", [token]).single().decode("h")
    }

    /// 32 random bytes, base64url without padding (43 characters): session and CSRF tokens.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
