public import Foundation
public import LunzhiCore
import PostgresLibPQ

/// Writes an evidence bundle: the events of a period as JSON Lines (every hashed field, `seq`,
/// `prev_hash`, `hash`), the checkpoint log, the public key, the decisions and approvals as CSV,
/// and a README with the verification steps. The export is itself recorded as an event.
public struct AuditExporter: Sendable {
    public let service: Cooperation
    public var pageSize = 10_000

    public init(service: Cooperation) { self.service = service }

    public struct Summary: Sendable, Equatable {
        public var firstSeq: Int
        public var lastSeq: Int
        public var events: Int
        public var decisions: Int
        public var approvals: Int
        public var checkpoints: Int
    }

    /// Exports the contiguous run of events from the first with `at >= since` to the last with
    /// `at < until` (the whole log when both are nil).
    public func export(
        by principal: Int, since: Date?, until: Date?, to directory: String, checkpointNotes: [String] = [],
        verifierKey: String? = nil, witnessKeys: [Cosignature.Verifier] = []
    ) async throws -> Summary {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pool = service.pool
        let bounds = try await pool.query(
            """
            SELECT (SELECT min(seq) FROM audit_event WHERE $1::timestamptz IS NULL OR at >= $1) AS first,
                   (SELECT max(seq) FROM audit_event WHERE $2::timestamptz IS NULL OR at < $2) AS last
            """, [since, until]
        ).single()
        let first: Int = try bounds.decode("first", as: Int?.self) ?? 1
        let last: Int = try bounds.decode("last", as: Int?.self) ?? 0
        let description = "seq \(first)…\(last) of \(Self.stamp(since)) to \(Self.stamp(until))"
        try await service.recordAuditUse(by: principal, "export", description: description)

        let events = try FileWriter(path: directory + "/events.jsonl")
        var count = 0
        var next = first
        while next <= last {
            let rows = try await pool.query(
                """
                SELECT \(AuditRecord.selectList), recorded_at FROM audit_event
                WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3
                """, [next, last, pageSize])
            guard let final = rows.map({ $0 }).last else { break }
            var chunk = ""
            for row in rows {
                let record = try AuditRecord(row: row)
                chunk += Self.jsonLine(record, recordedAt: try row.decode(14, as: Date.self)) + "\n"
                count += 1
            }
            try events.write(chunk)
            next = try final.decode(0, as: Int.self) + 1
        }
        try events.close()

        let (decisions, approvals) = try await service.auditDecisions(by: principal, year: nil, recordRead: false)
        let inPeriod = { (date: Date) in (since.map { date >= $0 } ?? true) && (until.map { date < $0 } ?? true) }
        let chosenDecisions = decisions.filter { inPeriod($0.decidedAt) }
        let chosenApprovals = approvals.filter { inPeriod($0.requestedAt) }
        try Self.write(directory + "/decisions.csv", Self.decisionsCSV(chosenDecisions))
        try Self.write(directory + "/approvals.csv", Self.approvalsCSV(chosenApprovals))
        try Self.write(directory + "/checkpoints.txt", checkpointNotes.map { $0 + "\n" }.joined())
        if let verifierKey { try Self.write(directory + "/audit.pub", verifierKey + "\n") }
        // The members' witnesses' keys, so the checkpoints' cosignatures can be checked too.
        if !witnessKeys.isEmpty {
            try FileManager.default.createDirectory(atPath: directory + "/witnesses", withIntermediateDirectories: true)
            for key in witnessKeys { try Self.write(directory + "/witnesses/\(key.name).pub", key.encoded + "\n") }
        }
        try Self.write(
            directory + "/README.md",
            Self.readme(first: first, last: last, count: count, period: description, hasKey: verifierKey != nil))
        return Summary(
            firstSeq: first, lastSeq: last, events: count, decisions: chosenDecisions.count,
            approvals: chosenApprovals.count, checkpoints: checkpointNotes.count)
    }

    static func stamp(_ date: Date?) -> String {
        date.map { PostgresTimestamp.format($0) } ?? "…"
    }

    /// One event as a JSON object; `before` and `after` are strings holding the exact jsonb text
    /// that was hashed.
    public static func jsonLine(_ record: AuditRecord, recordedAt: Date?) -> String {
        JSONValue.object([
            ("seq", .int(record.seq)),
            ("at", .string(PostgresTimestamp.format(microseconds: record.atMicroseconds))),
            ("at_us", .int(Int(record.atMicroseconds))),
            ("principal_id", record.principalID.map(JSONValue.int) ?? .null),
            ("principal_name", .string(record.principalName)),
            ("mechanism_code", .optional(record.mechanism)),
            ("member_code", .optional(record.member)),
            ("action", .string(record.action)),
            ("entity", .string(record.entity)),
            ("entity_id", .string(record.entityID)),
            ("before", .optional(record.before)),
            ("after", .optional(record.after)),
            ("reason", .optional(record.reason)),
            // Empty only for an event read from the tiles, which hold no chain.
            ("prev_hash", record.prevHash.isEmpty ? .null : .string(Hex.encode(record.prevHash))),
            ("hash", record.hash.isEmpty ? .null : .string(Hex.encode(record.hash))),
            ("recorded_at", .optional(recordedAt.map { stamp($0) })),
        ]).serialized()
    }

    static func decisionsCSV(_ decisions: [DecisionRecord]) -> String {
        CSV.table(
            [
                "mechanism", "decision_number", "decided_at", "consultation", "item", "title", "outcome", "procedure",
                "track", "justification", "positions",
            ],
            decisions.map { d in
                [
                    d.mechanism, d.number ?? "", stamp(d.decidedAt), String(d.consultation), String(d.item), d.title,
                    d.outcome, d.procedure, d.track, d.justification ?? "",
                    d.positions.map { "\($0.member)=\($0.stance)" }.joined(separator: "; "),
                ]
            })
    }

    static func approvalsCSV(_ approvals: [ApprovalRecord]) -> String {
        CSV.table(
            [
                "approval", "mechanism", "project", "requester", "track", "justification", "state", "requested_at",
                "due_at", "decided_at", "answers",
            ],
            approvals.map { a in
                [
                    String(a.id), a.mechanism, String(a.project), a.requester, a.track, a.justification ?? "", a.state,
                    stamp(a.requestedAt), stamp(a.dueAt), a.decidedAt.map { stamp($0) } ?? "",
                    a.parties.map { "\($0.member)=\($0.answer ?? "none")\($0.overdue ? " (overdue)" : "")" }
                        .joined(separator: "; "),
                ]
            })
    }

    static func readme(first: Int, last: Int, count: Int, period: String, hasKey: Bool) -> String {
        """
        # Lunzhi audit export

        Events \(period): \(count) events.

        | file | what |
        |---|---|
        | `events.jsonl` | one event per line: every hashed field, `prev_hash`, `hash` (hex) |
        | `checkpoints.txt` | the signed checkpoints (C2SP signed notes), one after another |
        | `audit.pub` | the checkpoint signer's Ed25519 verifier key\(hasKey ? "" : " (not included in this export)") |
        | `witnesses/*.pub` | the members' witnesses' keys (cosignature/v1), when given: each checkpoint's cosignatures are checked with them |
        | `decisions.csv` | decided agenda items: number, procedure, track, each member's position |
        | `approvals.csv` | case-by-case approvals: each party's answer, overdue or not |

        ## Verifying, without Lunzhi

        The encoding is specified in Lunzhi's `docs/audit-format.md` (version 1); `docs/audit-verify.py`
        implements it in about a hundred lines of Python with no dependencies:
        `python3 audit-verify.py <this directory>`.

        1. For each line of `events.jsonl` in order: `seq` is one more than the previous line's, and
           `prev_hash` is the previous line's `hash` (the first line's `prev_hash` links to the event
           before this export, or is 64 zeros for seq 1).
        2. Build the canonical bytes: `lunzhi-audit-v1`, then for each of seq, at_us, principal_id,
           principal_name, mechanism_code, member_code, action, entity, entity_id, before, after,
           reason: the field's UTF-8 byte length in decimal, `:`, and its UTF-8 bytes — or `-` when
           it is null. Numbers are written in decimal; `before` and `after` are the strings as given.
        3. `hash` must equal SHA-256(prev_hash bytes ‖ canonical bytes).
        4. Each checkpoint in `checkpoints.txt` must carry a valid Ed25519 signature by the key in
           `audit.pub` (C2SP signed-note format); sizes never decrease; and for every checkpoint
           whose size lies within this export, its head hash (base64) equals the `hash` of the event
           whose `seq` is that size.

        The CSV files are conveniences for spreadsheets; cells that begin with `=`, `+`, `-` or `@`
        are prefixed with `'` so that spreadsheets do not run them as formulas.

        """
    }

    static func write(_ path: String, _ text: String) throws {
        let file = try FileWriter(path: path)
        try file.write(text)
        try file.close()
    }
}

/// RFC 4180 rows, with spreadsheet formulas neutralised.
enum CSV {
    /// A header line and one line per row.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        ([header] + rows).map(row).joined()
    }

    static func row(_ fields: [String]) -> String {
        fields.map(cell).joined(separator: ",") + "\r\n"
    }

    static func cell(_ value: String) -> String {
        var value = value
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A file written with plain `write(2)` calls and fsynced on close.
final class FileWriter {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AuditUsageError("cannot create \(path): errno \(errno)") }
    }

    func write(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw AuditUsageError("cannot write \(path): errno \(errno)") }
            bytes = bytes.dropFirst(n)
        }
    }

    func close() throws {
        defer { Foundation.close(fd) }
        guard fsync(fd) == 0 else { throw AuditUsageError("cannot write \(path): errno \(errno)") }
    }
}
