import Crypto
import Foundation
import LunzhiCore
public import PostgresLibPQ

/// The first thing found wrong: the `seq` it concerns, and what.
public struct AuditFailure: Sendable, Equatable, CustomStringConvertible {
    public var seq: Int
    public var problem: String
    public var description: String { "seq \(seq): \(problem)" }
}

/// The outcome of a verification.
public struct AuditVerification: Sendable, Equatable {
    /// The first event recomputed (0 when none was).
    public var firstSeq: Int
    /// Events recomputed.
    public var count: Int
    /// The last event that verified, and its hash (seq 0 and zeros for an empty log).
    public var headSeq: Int
    public var headHash: [UInt8]
    /// Checkpoints whose head was compared with the database.
    public var checkpointsChecked: Int
    public var failure: AuditFailure?
    /// Rows 1…`trustedThrough` were not recomputed: taken on trust from a signed checkpoint
    /// (`trustedFromCheckpoint`) or from the stored hash before `from=` (0 when none were).
    public var trustedThrough = 0
    public var trustedFromCheckpoint = false
    /// The largest size a compared checkpoint covers (0: no checkpoint anchors the rows).
    public var anchoredThrough = 0
    /// The Merkle root at `headSeq`, recomputed from the events (and equal to the stored tree's
    /// when `failure` is nil); checkpoints whose signed root (version 2) was compared.
    public var treeRoot: [UInt8] = []
    public var rootsChecked = 0

    public var ok: Bool { failure == nil }

    /// No signed checkpoint was compared: the chain may be intact and still be a wholesale
    /// rewrite (whoever can write the table can recompute every hash).
    public var unanchored: Bool { checkpointsChecked == 0 }

    /// The first word of a report: "ok", or for a log no checkpoint anchors, never plainly ok.
    public var verdict: String { unanchored ? "unanchored (no signed checkpoint compared)" : "ok" }

    /// What was and was not checked, in words an auditor reads.
    public var explanation: [String] {
        var lines: [String] = []
        if trustedThrough > 0 {
            lines.append(
                trustedFromCheckpoint
                    ? "rows 1–\(trustedThrough) trusted from the signed checkpoint at size \(trustedThrough), not recomputed (AUDIT VERIFY full recomputes them)"
                    : "rows 1–\(trustedThrough) trusted from the stored hash of seq \(trustedThrough), not recomputed")
        }
        lines.append(count > 0 ? "rows \(firstSeq)–\(firstSeq + count - 1) recomputed from their contents" : "no row recomputed")
        if failure == nil && !treeRoot.isEmpty && headSeq > 0 {
            lines.append("Merkle root at \(headSeq): \(Hex.encode(treeRoot)) (the stored tree agrees with the events)")
        }
        if unanchored {
            lines.append(
                "no signed checkpoint was compared: the chain is consistent, but nothing proves it was not rewritten as a whole")
        } else {
            lines.append("\(checkpointsChecked) signed checkpoints compared with the rows at their sizes")
            if rootsChecked > 0 {
                lines.append("\(rootsChecked) of them (version 2) also by their Merkle roots, against the stored tree")
            }
            if headSeq > anchoredThrough {
                lines.append(
                    "rows \(anchoredThrough + 1)–\(headSeq) are newer than the last checkpoint (size \(anchoredThrough)): no signature covers them yet"
                )
            }
        }
        return lines
    }
}

/// Recomputes the hash chain from the database's rows and compares signed checkpoints with it.
///
/// Each row must have `seq` = previous + 1, `prev_hash` = the previous row's hash, and `hash` =
/// sha256(prev_hash ‖ canonical bytes) as recomputed here; each checkpoint's head must be the hash
/// of the row at its size, and no checkpoint may claim more rows than there are. The report names
/// the lowest `seq` at which anything is wrong.
public struct AuditVerifier: Sendable {
    public enum Start: Sendable, Equatable {
        /// From seq 1.
        case beginning
        /// From this seq, trusting the stored hash of the row before it.
        case seq(Int)
        /// From the newest checkpoint (already signature-checked): only what was added since is
        /// recomputed; older checkpoints are still compared with their rows.
        case lastCheckpoint
    }

    let pool: PostgresPool
    public var pageSize: Int

    public init(pool: PostgresPool, pageSize: Int = 20_000) {
        self.pool = pool
        self.pageSize = pageSize
    }

    public func verify(checkpoints: [Checkpoint] = [], start: Start = .beginning) async throws -> AuditVerification {
        let checkpointFailure = try await compare(checkpoints)
        var trusted = (through: 0, fromCheckpoint: false)
        let anchored = checkpoints.map(\.size).max() ?? 0
        func report(
            first: Int, count: Int, head: (Int, [UInt8]), checkpoints: Int, failure: AuditFailure?,
            checkpointFailure: AuditFailure?
        ) -> AuditVerification {
            self.report(
                first: first, count: count, head: head, checkpoints: checkpoints, failure: failure,
                checkpointFailure: checkpointFailure, trusted: trusted, anchored: anchored)
        }
        var expected = 1
        var previous = AuditRecord.genesisHash
        switch start {
        case .beginning:
            break
        case .seq(let seq):
            guard seq >= 1 else { throw AuditUsageError("--from must be at least 1") }
            if seq > 1 {
                guard let before = try await hash(at: seq - 1) else {
                    return report(
                        first: seq, count: 0, head: (seq - 1, previous), checkpoints: checkpoints.count,
                        failure: AuditFailure(seq: seq - 1, problem: "the event before the starting point is missing"),
                        checkpointFailure: checkpointFailure)
                }
                expected = seq
                previous = before
                trusted = (seq - 1, false)
            }
        case .lastCheckpoint:
            if let last = checkpoints.last(where: { $0.size > 0 }) {
                // compare() has checked the row at this size; a mismatch ends verification there.
                if let checkpointFailure, checkpointFailure.seq <= last.size {
                    return report(
                        first: 0, count: 0, head: (0, previous), checkpoints: checkpoints.count,
                        failure: nil, checkpointFailure: checkpointFailure)
                }
                expected = last.size + 1
                previous = last.head
                trusted = (last.size, true)
            }
        }
        let first = expected
        var count = 0
        var failure: AuditFailure?
        let store = MerkleStore(pool: pool)
        // The tree up to where recomputation starts, from the stored nodes (checked against the
        // signed roots by compare()); the recomputed leaves go on from there.
        var frontier: MerkleFrontier
        do {
            frontier = try await store.frontier(size: expected - 1)
        } catch let missing as MerkleStore.Missing {
            return report(
                first: 0, count: 0, head: (expected - 1, previous), checkpoints: checkpoints.count,
                failure: AuditFailure(seq: max(1, missing.index << missing.level), problem: "\(missing)"),
                checkpointFailure: checkpointFailure)
        }
        // Pages of `pageSize` seqs up to the head as it is now, two fetched ahead (each on a
        // connection of its own) while the current one is hashed.
        let head = try await Self.head(pool).seq
        var nextStart = expected
        var pending: [Task<VerifierPage, any Error>] = []
        func fetchAhead() {
            while pending.count < 2, nextStart <= head {
                let range = nextStart...min(head, nextStart + pageSize - 1)
                pending.append(Task.detached { [pool] in try await VerifierPage.read(pool, range) })
                nextStart = range.upperBound + 1
            }
        }
        defer { for task in pending { task.cancel() } }
        // The canonical bytes of each row are built in place from its binary columns: no string
        // per value (docs/performance.md, "The audit log").
        var canonical: [UInt8] = []
        canonical.reserveCapacity(4096)
        scan: while true {
            fetchAhead()
            guard !pending.isEmpty else { break }
            let page = try await pending.removeFirst().value
            fetchAhead()
            let rows = page.rows
            for r in 0..<rows.count {
                let seq = VerifierPage.seq(rows, r)
                if seq != expected {
                    failure = AuditFailure(
                        seq: seq, problem: "follows seq \(expected - 1): events \(expected)…\(seq - 1) are missing")
                    break scan
                }
                let prevHash = rows.value(r, VerifierPage.prevHash) ?? UnsafeRawBufferPointer(start: nil, count: 0)
                if !VerifierPage.same(prevHash, previous) {
                    failure = AuditFailure(
                        seq: seq,
                        problem: "prev_hash \(Hex.encode(Array(prevHash.prefix(8))))… is not the hash of seq \(seq - 1)")
                    break scan
                }
                VerifierPage.canonical(rows, r, into: &canonical)
                var chain = SHA256()
                chain.update(bufferPointer: prevHash)
                canonical.withUnsafeBytes { chain.update(bufferPointer: $0) }
                let hash = rows.value(r, VerifierPage.hash) ?? UnsafeRawBufferPointer(start: nil, count: 0)
                if !VerifierPage.same(hash, chain.finalize()) {
                    failure = AuditFailure(seq: seq, problem: "its contents do not match its hash (the event was altered)")
                    break scan
                }
                var leafHasher = SHA256()
                withUnsafeBytes(of: UInt8(0)) { leafHasher.update(bufferPointer: $0) }
                canonical.withUnsafeBytes { leafHasher.update(bufferPointer: $0) }
                let leaf = leafHasher.finalize().withUnsafeBytes { Array($0) }
                if let stored = rows.value(r, VerifierPage.leafHash), VerifierPage.same(stored, leaf) {
                } else {
                    failure = AuditFailure(
                        seq: seq,
                        problem: "its contents do not match its stored Merkle leaf, leaf_hash (the event or its leaf was altered)")
                    break scan
                }
                var tile: MerkleTree.Hash?
                frontier.append(leaf) { level, hash in
                    if level == MerkleStore.lowestStoredLevel { tile = hash }
                }
                // The lowest stored subtrees (16 leaves) against the leaves just recomputed; the
                // higher ones against their children below.
                if let tile {
                    let width = 1 << MerkleStore.lowestStoredLevel
                    let stored = page.tiles[seq / width - 1]
                    if stored != tile {
                        failure = AuditFailure(
                            seq: seq - width + 1,
                            problem: stored == nil
                                ? "the Merkle tree has no node for events \(seq - width + 1)…\(seq) (audit_tree is incomplete)"
                                : "the Merkle tree's node (\(MerkleStore.lowestStoredLevel), \(seq / width - 1)) over events \(seq - width + 1)…\(seq) is not the hash of their leaves (audit_tree was altered)")
                        break scan
                    }
                }
                if previous.count == hash.count {
                    previous.withUnsafeMutableBytes { $0.copyMemory(from: hash) }
                } else {
                    previous = Array(hash)
                }
                expected += 1
                count += 1
            }
        }
        // The stored tree must be the tree of these events: its root at the head, against the root
        // recomputed from the events' contents.
        if failure == nil, count > 0 {
            // Every stored node above the lowest stored level over the recomputed rows must be
            // the hash of its two children (the lowest were compared above): one query.
            let bad = try await pool.query(
                """
                SELECT p.level, p.idx FROM audit_tree p
                JOIN audit_tree l ON l.level = p.level - 1 AND l.idx = 2 * p.idx
                JOIN audit_tree r ON r.level = p.level - 1 AND r.idx = 2 * p.idx + 1
                WHERE p.level > $2 AND ((p.idx + 1) << p.level) > $1
                  AND p.hash <> sha256('\\x01'::bytea || l.hash || r.hash)
                ORDER BY p.level, p.idx LIMIT 1
                """, [first - 1, MerkleStore.lowestStoredLevel]
            ).first
            if let bad {
                let level: Int = try bad.decode("level")
                let index: Int = try bad.decode("idx")
                failure = AuditFailure(
                    seq: (index << level) + 1,
                    problem: "the Merkle tree's node (\(level), \(index)) over events \((index << level) + 1)…\((index + 1) << level) is not the hash of its children (audit_tree was altered)")
            }
        }
        if failure == nil, frontier.size > 0 {
            let stored = try? await store.root(size: frontier.size)
            if stored != frontier.root {
                failure = AuditFailure(
                    seq: frontier.size,
                    problem: "the stored Merkle tree's root at size \(frontier.size) is not the root of the events (audit_tree was altered)")
            }
        }
        var result = report(
            first: count > 0 ? first : 0, count: count, head: (expected - 1, previous), checkpoints: checkpoints.count,
            failure: failure, checkpointFailure: checkpointFailure)
        result.treeRoot = frontier.root
        result.rootsChecked = checkpoints.filter { $0.root != nil && $0.size > 0 }.count
        return result
    }

    private func report(
        first: Int, count: Int, head: (Int, [UInt8]), checkpoints: Int, failure: AuditFailure?,
        checkpointFailure: AuditFailure?, trusted: (through: Int, fromCheckpoint: Bool), anchored: Int
    ) -> AuditVerification {
        let earliest = [failure, checkpointFailure].compactMap { $0 }.min { $0.seq < $1.seq }
        var result = AuditVerification(
            firstSeq: first, count: count, headSeq: head.0, headHash: head.1, checkpointsChecked: checkpoints,
            failure: earliest)
        result.trustedThrough = trusted.through
        result.trustedFromCheckpoint = trusted.fromCheckpoint
        result.anchoredThrough = anchored
        return result
    }

    /// Compares each checkpoint's head with the row at its size; the lowest failing seq.
    private func compare(_ checkpoints: [Checkpoint]) async throws -> AuditFailure? {
        let sizes = Array(Set(checkpoints.map(\.size).filter { $0 > 0 })).sorted()
        guard !sizes.isEmpty else { return nil }
        let rows = try await pool.query(
            "SELECT seq, hash FROM audit_event WHERE seq = ANY($1::bigint[])", [sizes])
        var stored: [Int: [UInt8]] = [:]
        for row in rows { stored[try row.decode(0)] = Array(try row.decode(1, as: Data.self)) }
        let last: Int? = try await pool.query("SELECT max(seq) AS n FROM audit_event").single().decode("n")
        for (i, checkpoint) in checkpoints.enumerated() where checkpoint.size > 0 {
            guard let hash = stored[checkpoint.size] else {
                let end = last ?? 0
                return AuditFailure(
                    seq: min(end + 1, checkpoint.size),
                    problem: end < checkpoint.size
                        ? "checkpoint \(i + 1) covers \(checkpoint.size) events but the log ends at seq \(end): events \(end + 1)…\(checkpoint.size) are missing"
                        : "checkpoint \(i + 1) covers \(checkpoint.size) events but event \(checkpoint.size) is missing"
                )
            }
            if hash != checkpoint.head {
                return AuditFailure(
                    seq: checkpoint.size,
                    problem:
                        "its hash is not the head signed by checkpoint \(i + 1) (the history up to here was rewritten)")
            }
            if let root = checkpoint.root, try await MerkleStore(pool: pool).root(size: checkpoint.size) != root {
                return AuditFailure(
                    seq: checkpoint.size,
                    problem: "the stored tree's root at size \(checkpoint.size) is not the root signed by checkpoint \(i + 1)")
            }
        }
        return nil
    }

    private func hash(at seq: Int) async throws -> [UInt8]? {
        try await pool.query("SELECT hash FROM audit_event WHERE seq = $1", [seq]).first.map {
            Array(try $0.decode(0, as: Data.self))
        }
    }

    /// A page of events with their stored Merkle leaves (`leaf_hash`).
    static func page(_ pool: PostgresPool, from seq: Int, limit: Int) async throws -> [(record: AuditRecord, leaf: [UInt8])] {
        try await pool.query(
            "SELECT \(AuditRecord.selectList), leaf_hash FROM audit_event WHERE seq >= $1 ORDER BY seq LIMIT $2",
            [seq, limit]
        ).map { row in (try AuditRecord(row: row), Array(try row.decode("leaf_hash", as: Data.self))) }
    }

    /// The current head: the highest seq and its hash.
    public static func head(_ pool: PostgresPool) async throws -> (seq: Int, hash: [UInt8]) {
        guard let row = try await pool.query("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1").first else {
            return (0, AuditRecord.genesisHash)
        }
        return (try row.decode(0), Array(try row.decode(1, as: Data.self)))
    }
}

public struct AuditUsageError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A page of events as the verifier reads them: rows in PostgreSQL's binary format, the columns
/// as stored (PostgreSQL does no more than `COPY` does), and the stored 16-leaf nodes the page
/// completes. The canonical bytes are built from the values in place.
struct VerifierPage: Sendable {
    let rows: PostgresBinaryResult
    let tiles: [Int: [UInt8]]

    // seq, at, principal_id (int8, timestamptz, int8), then the text fields; before and after
    // (jsonb: a version byte, then the same text as jsonb::text); then the hashes.
    static let seqColumn = 0, atColumn = 1, principalIDColumn = 2, beforeColumn = 9, afterColumn = 10
    static let prevHash = 12, hash = 13, leafHash = 14

    /// The events with seqs in `range`, in order.
    static func read(_ pool: PostgresPool, _ range: ClosedRange<Int>) async throws -> VerifierPage {
        try await pool.withConnection { connection in
            let rows = try await connection.queryBinary(
                """
                SELECT seq, at, principal_id, principal_name, mechanism_code, member_code, action, entity, entity_id,
                       before, after, reason, prev_hash, hash, leaf_hash
                FROM audit_event WHERE seq BETWEEN $1 AND $2 ORDER BY seq
                """, [range.lowerBound, range.upperBound])
            guard rows.count > 0 else { return VerifierPage(rows: rows, tiles: [:]) }
            let first = Self.seq(rows, 0)
            let last = Self.seq(rows, rows.count - 1)
            let width = 1 << MerkleStore.lowestStoredLevel
            var tiles: [Int: [UInt8]] = [:]
            for row in try await connection.query(
                "SELECT idx, hash FROM audit_tree WHERE level = $1 AND idx BETWEEN $2 AND $3",
                [MerkleStore.lowestStoredLevel, (first + width - 1) / width - 1, last / width - 1])
            {
                tiles[try row.decode("idx")] = Array(try row.decode("hash", as: Data.self))
            }
            return VerifierPage(rows: rows, tiles: tiles)
        }
    }

    /// Whether a stored value holds exactly these bytes.
    static func same(_ value: UnsafeRawBufferPointer, _ bytes: some ContiguousBytes) -> Bool {
        bytes.withUnsafeBytes { b in
            b.count == value.count && (b.count == 0 || memcmp(b.baseAddress!, value.baseAddress!, b.count) == 0)
        }
    }

    /// The seq of row `r`.
    static func seq(_ rows: PostgresBinaryResult, _ r: Int) -> Int { Int(rows.int64(r, seqColumn) ?? 0) }

    /// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01), where binary
    /// timestamps count from.
    static let postgresEpoch: Int64 = 946_684_800_000_000

    /// Row `r`'s canonical bytes (version 1, `AuditRecord.canonicalBytes`): `lunzhi-audit-v1`,
    /// then each of the twelve fields as its byte length in decimal, `:` and its bytes (numbers as
    /// decimal text; the time as microseconds since the Unix epoch), NULL as `-`.
    static func canonical(_ rows: PostgresBinaryResult, _ r: Int, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: prefix)
        for column in 0..<12 {
            guard var value = rows.value(r, column) else {
                out.append(UInt8(ascii: "-"))
                continue
            }
            switch column {
            case seqColumn, principalIDColumn:
                number(value.reduce(Int64(0)) { $0 << 8 | Int64($1) }, into: &out)
                continue
            case atColumn:
                number(value.reduce(Int64(0)) { $0 << 8 | Int64($1) } + postgresEpoch, into: &out)
                continue
            case beforeColumn, afterColumn:
                value = UnsafeRawBufferPointer(rebasing: value.dropFirst())  // jsonb's version byte
            default: break
            }
            decimal(value.count, into: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value)
        }
    }

    /// A number as a canonical field: its decimal text's length, `:`, the text.
    private static func number(_ value: Int64, into out: inout [UInt8]) {
        var digits: [UInt8] = []
        var magnitude = value.magnitude
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        if value < 0 { digits.append(UInt8(ascii: "-")) }
        decimal(digits.count, into: &out)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: digits.reversed())
    }

    private static func decimal(_ value: Int, into out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
        } else {
            decimal(value / 10, into: &out)
            out.append(UInt8(ascii: "0") + UInt8(value % 10))
        }
    }

    private static let prefix = Array("lunzhi-audit-v1".utf8)
}
