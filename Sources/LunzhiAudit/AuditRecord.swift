import Crypto
import Foundation
import PostgresLibPQ

/// One audit event with every hashed field, as stored. `canonicalBytes` is the documented
/// encoding (docs/audit-format.md, version 1), computed here independently of the database's
/// `audit_canonical_v1`, so verification does not trust the database's own function.
public struct AuditRecord: Sendable, Equatable {
    public var seq: Int
    /// `at` as microseconds since the Unix epoch, UTC.
    public var atMicroseconds: Int64
    public var principalID: Int?
    public var principalName: String
    public var mechanism: String?
    public var member: String?
    public var action: String
    public var entity: String
    public var entityID: String
    /// PostgreSQL's jsonb text of the before and after images, hashed as is.
    public var before: String?
    public var after: String?
    public var reason: String?
    public var prevHash: [UInt8]
    public var hash: [UInt8]
    /// When the row was written (not hashed: it is the database's clock, not the service's).
    public var recordedAt: String?

    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    public init(
        seq: Int, atMicroseconds: Int64, principalID: Int?, principalName: String, mechanism: String?, member: String?,
        action: String, entity: String, entityID: String, before: String?, after: String?, reason: String?,
        prevHash: [UInt8], hash: [UInt8], recordedAt: String? = nil
    ) {
        self.seq = seq
        self.atMicroseconds = atMicroseconds
        self.principalID = principalID
        self.principalName = principalName
        self.mechanism = mechanism
        self.member = member
        self.action = action
        self.entity = entity
        self.entityID = entityID
        self.before = before
        self.after = after
        self.reason = reason
        self.prevHash = prevHash
        self.hash = hash
        self.recordedAt = recordedAt
    }

    /// `lunzhi-audit-v1`, then each field as its decimal UTF-8 byte length, `:`, its bytes; NULL as `-`.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = Array("lunzhi-audit-v1".utf8)
        out.reserveCapacity(256 + (before?.utf8.count ?? 0) + (after?.utf8.count ?? 0))
        func field(_ value: String?) {
            guard let value else {
                out.append(UInt8(ascii: "-"))
                return
            }
            out += String(value.utf8.count).utf8
            out.append(UInt8(ascii: ":"))
            out += value.utf8
        }
        field(String(seq))
        field(String(atMicroseconds))
        field(principalID.map(String.init))
        field(principalName)
        field(mechanism)
        field(member)
        field(action)
        field(entity)
        field(entityID)
        field(before)
        field(after)
        field(reason)
        return out
    }

    /// sha256(prev_hash ‖ canonical bytes).
    /// The chain hash and the Merkle leaf hash, from one encoding of the contents.
    public func computedHashes(previous: [UInt8]) -> (chain: [UInt8], leaf: [UInt8]) {
        let canonical = canonicalBytes
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: canonical)
        return (Array(hasher.finalize()), MerkleTree.leafHash(canonical))
    }

    public func computedHash(previous: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: canonicalBytes)
        return Array(hasher.finalize())
    }

    /// The columns `init(row:)` reads, in order.
    static let selectList = """
        seq, (extract(epoch FROM at) * 1000000)::bigint AS at_us, principal_id, principal_name, mechanism_code,
        member_code, action, entity, entity_id, before::text AS before, after::text AS after, reason, prev_hash, hash
        """

    init(row: PostgresRow) throws {
        self.init(
            seq: try row.decode(0), atMicroseconds: try row.decode(1), principalID: try row.decode(2),
            principalName: try row.decode(3), mechanism: try row.decode(4), member: try row.decode(5),
            action: try row.decode(6), entity: try row.decode(7), entityID: try row.decode(8),
            before: try row.decode(9), after: try row.decode(10), reason: try row.decode(11),
            prevHash: Array(try row.decode(12, as: Data.self)), hash: Array(try row.decode(13, as: Data.self)))
    }
}
