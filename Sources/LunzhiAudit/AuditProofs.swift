import Foundation
public import LunzhiCore
import PostgresLibPQ

/// That one event is in the log a signed checkpoint describes: the event, its leaf hash, its audit
/// path, and the checkpoint (a version-2 signed note) whose Merkle root the path leads to. Checked
/// offline with the signer's public key alone (`verify`, `lunzhi audit check-proof`,
/// `docs/audit-verify.py check-proof`).
public struct InclusionProof: Sendable, Equatable {
    public var seq: Int
    public var treeSize: Int
    public var leafHash: [UInt8]
    public var path: [[UInt8]]
    /// The signed note, as the checkpoint log holds it.
    public var checkpoint: String
    /// The event itself (the export's `events.jsonl` line), so its leaf can be recomputed.
    public var event: String

    public var index: Int { seq - 1 }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// `{"seq", "index", "tree_size", "leaf_hash", "path": [hex…], "checkpoint", "event"}`, hashes
    /// in lowercase hex.
    public func json() -> String { jsonValue.serialized() }

    public var jsonValue: JSONValue {
        JSONValue.object([
            ("seq", .int(seq)), ("index", .int(index)), ("tree_size", .int(treeSize)),
            ("leaf_hash", .string(Hex.encode(leafHash))), ("path", .array(path.map { .string(Hex.encode($0)) })),
            ("checkpoint", .string(checkpoint)), ("event", .string(event)),
        ])
    }

    public init(seq: Int, treeSize: Int, leafHash: [UInt8], path: [[UInt8]], checkpoint: String, event: String) {
        self.seq = seq
        self.treeSize = treeSize
        self.leafHash = leafHash
        self.path = path
        self.checkpoint = checkpoint
        self.event = event
    }

    public init(json: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let seq = object["seq"] as? Int, let size = object["tree_size"] as? Int,
            let leaf = (object["leaf_hash"] as? String).flatMap(Hex.decode),
            let path = (object["path"] as? [String])?.compactMap(Hex.decode), path.count == (object["path"] as? [String])?.count,
            let checkpoint = object["checkpoint"] as? String, let event = object["event"] as? String
        else { throw Invalid(description: "not an inclusion proof (seq, tree_size, leaf_hash, path, checkpoint, event)") }
        if let index = object["index"] as? Int, index != seq - 1 {
            throw Invalid(description: "index \(index) is not seq \(seq) - 1")
        }
        self.init(seq: seq, treeSize: size, leafHash: leaf, path: path, checkpoint: checkpoint, event: event)
    }

    /// Checks everything with the signer's key alone: the checkpoint's signature and version, its
    /// size, the event's leaf recomputed from its contents, and the path to the signed root.
    /// Returns the checkpoint.
    @discardableResult
    public func verify(with verifier: SignedNote.Verifier) throws -> Checkpoint {
        let signed: Checkpoint
        do {
            signed = try Checkpoint(note: checkpoint, verifier: verifier)
        } catch {
            throw Invalid(description: "the checkpoint does not verify with \(verifier.name): \(error)")
        }
        guard let root = signed.root else {
            throw Invalid(description: "the checkpoint is version 1 (a chain head, no Merkle root): it proves no inclusion")
        }
        guard signed.size == treeSize else {
            throw Invalid(description: "the proof is for a tree of \(treeSize) events, the checkpoint signs \(signed.size)")
        }
        guard let record = AuditRecord(exportLine: event), record.seq == seq else {
            throw Invalid(description: "the event is not seq \(seq) in the export format")
        }
        guard MerkleTree.leafHash(record.canonicalBytes) == leafHash else {
            throw Invalid(description: "the event's contents do not match the leaf hash (the event was altered)")
        }
        guard path.count <= Self.maximumPathLength(treeSize),
            MerkleTree.verifyInclusion(leaf: leafHash, index: index, size: treeSize, proof: path, root: root)
        else {
            throw Invalid(description: "the audit path does not lead to the signed root: event \(seq) is not in this log")
        }
        return signed
    }

    /// ⌈log2 n⌉.
    static func maximumPathLength(_ size: Int) -> Int { size <= 1 ? 0 : Int.bitWidth - (size - 1).leadingZeroBitCount }
}

/// That the log of `oldSize` events is a prefix of the log of `newSize`: RFC 9162 §2.1.4.
public struct ConsistencyProof: Sendable, Equatable {
    public var oldSize: Int
    public var newSize: Int
    public var oldRoot: [UInt8]
    public var newRoot: [UInt8]
    public var path: [[UInt8]]

    public var verifies: Bool {
        MerkleTree.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: path)
    }
}

extension AuditRecord {
    /// An event from the export's `events.jsonl` line.
    public init?(exportLine: String) {
        guard let o = try? JSONSerialization.jsonObject(with: Data(exportLine.utf8)) as? [String: Any],
            let seq = o["seq"] as? Int, let at = (o["at_us"] as? NSNumber)?.int64Value,
            let principal = o["principal_name"] as? String, let action = o["action"] as? String,
            let entity = o["entity"] as? String, let entityID = o["entity_id"] as? String
        else { return nil }
        // Null in a proof made from the tiles, which hold no chain: the leaf does not need them.
        func hash(_ key: String) -> [UInt8]? { o[key] is NSNull ? [] : (o[key] as? String).flatMap(Hex.decode) }
        guard let prev = hash("prev_hash"), let hash = hash("hash") else { return nil }
        func text(_ key: String) -> String? { o[key] as? String }
        self.init(
            seq: seq, atMicroseconds: at, principalID: o["principal_id"] as? Int, principalName: principal,
            mechanism: text("mechanism_code"), member: text("member_code"), action: action, entity: entity,
            entityID: entityID, before: text("before"), after: text("after"), reason: text("reason"), prevHash: prev,
            hash: hash)
    }
}

extension AuditDesk {
    /// An inclusion proof of event `seq` against the newest version-2 checkpoint that covers it.
    /// Auditors and operators; the use is recorded.
    public func prove(by principal: Int, seq: Int) async throws -> InclusionProof {
        guard seq >= 1 else { throw DomainError(.invalidArgument, detail: "proof_seq") }
        try await service.recordAuditUse(by: principal, "prove", description: "seq \(seq)")
        let checkpoints = try await self.checkpoints()
        guard
            let checkpoint = checkpoints.last(where: { $0.root != nil && $0.size >= seq })
        else {
            throw DomainError(
                .notFound, detail: key == nil ? "proof_no_key" : "proof_not_covered", ["seq": "\(seq)"])
        }
        guard let (record, leaf) = try await AuditVerifier.page(service.pool, from: seq, limit: 1).first,
            record.seq == seq
        else { throw DomainError(.notFound, detail: "proof_no_event", ["seq": "\(seq)"]) }
        let store = MerkleStore(pool: service.pool)
        let path = try await store.inclusionProof(index: seq - 1, size: checkpoint.size)
        return InclusionProof(
            seq: seq, treeSize: checkpoint.size, leafHash: leaf, path: path, checkpoint: checkpoint.note,
            event: AuditExporter.jsonLine(record, recordedAt: nil))
    }

    /// The proof for the event that recorded decision `number` (`2026-001`).
    public func prove(by principal: Int, decision number: String) async throws -> InclusionProof {
        guard number.utf8.count <= 32, !number.contains("\u{0}") else {
            throw DomainError(.invalidArgument, detail: "proof_number")
        }
        let seq: Int? = try await service.pool.query(
            "SELECT min(seq) AS seq FROM audit_event WHERE action = 'consultation.decide' AND after->>'number' = $1",
            [number]
        ).single().decode("seq")
        guard let seq else { throw DomainError(.notFound, detail: "proof_no_decision", ["number": "\(number)"]) }
        return try await prove(by: principal, seq: seq)
    }

    /// That the log at `oldSize` events is a prefix of the log at `newSize` (the stored tree).
    public func consistency(by principal: Int, oldSize: Int, newSize: Int) async throws -> ConsistencyProof {
        try await service.recordAuditUse(by: principal, "prove", description: "consistency \(oldSize) \(newSize)")
        let store = MerkleStore(pool: service.pool)
        let size = try await store.size()
        guard oldSize >= 1, oldSize <= newSize, newSize <= size else {
            throw DomainError(.invalidArgument, detail: "proof_sizes", ["size": "\(size)"])
        }
        return ConsistencyProof(
            oldSize: oldSize, newSize: newSize, oldRoot: try await store.root(size: oldSize),
            newRoot: try await store.root(size: newSize),
            path: try await store.consistencyProof(oldSize: oldSize, size: newSize))
    }
}
