@testable import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct BCryptTests {
    /// OpenBSD's published vectors (also in John the Ripper and Go's x/crypto/bcrypt tests).
    @Test(arguments: [
        ("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        ("", "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s."),
    ])
    func publishedVectors(secret: String, hash: String) {
        #expect(BCrypt.verify(secret, hash: hash))
        #expect(!BCrypt.verify(secret + "x", hash: hash))
    }

    /// Hashes made by PostgreSQL's crypt() verify here, and hashes made here verify in
    /// PostgreSQL: principals created before secrets moved into the service keep signing in.
    @Test func agreesWithPgcryptoBothWays() async throws {
        try await TestDatabase.withPool(maximumConnections: 1) { pool, _ in
            for secret in ["abc", "甘肃工信厅-口令", String(repeating: "x", count: 80), "a b\"c"] {
                let theirs: String = try await pool.query(
                    "SELECT crypt($1, gen_salt('bf', 4)) AS h", [secret]
                ).single().decode("h")
                #expect(BCrypt.verify(secret, hash: theirs), "\(secret) \(theirs)")
                // bcrypt reads 72 bytes at most, pgcrypto's as ours.
                #expect(BCrypt.verify(secret + "!", hash: theirs) == (secret.utf8.count >= 72))
                let ours = BCrypt.hash(secret, cost: 4)
                let ok: Bool = try await pool.query("SELECT crypt($1, $2) = $2 AS ok", [secret, ours]).single()
                    .decode("ok")
                #expect(ok, "\(secret) \(ours)")
                #expect(BCrypt.cost(of: ours) == 4)
            }
        }
    }

    @Test func malformedHashesNeverMatch() {
        for hash in ["", "$2a$04$", "$1$abc", "$2a$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe!"]
        {
            #expect(!BCrypt.verify("U*U", hash: hash))
        }
    }
}
