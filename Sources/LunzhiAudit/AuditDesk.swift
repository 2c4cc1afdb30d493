public import LunzhiCore
import PostgresLibPQ

/// The auditors' use cases that need the proofs (LunzhiCore has no cryptography): one place for
/// both front ends. `verify` is AUDIT VERIFY: who may, where the checkpoints come from, where
/// verification starts.
public struct AuditDesk: Sendable {
    let service: Cooperation
    /// The checkpoint signer's verifier key; without it checkpoints are not checked.
    public let key: SignedNote.Verifier?
    /// Where checkpoints are read: this log file, else the database's copies.
    let checkpointLog: CheckpointLog?

    public init(service: Cooperation, key: SignedNote.Verifier?, checkpointLog: CheckpointLog?) {
        self.service = service
        self.key = key
        self.checkpointLog = checkpointLog
    }

    /// Where verification starts when the request does not say: the last signed checkpoint
    /// (incremental); `full`, or no checkpoint to start from: the beginning; `from`: that seq.
    public func verify(by principal: Int, full: Bool = false, from: Int? = nil) async throws -> AuditVerification {
        // Auditors and operators only; the use is itself an audit event.
        try await service.recordAuditUse(
            by: principal, "verify", description: from.map { "from \($0)" } ?? (full ? "full" : "incremental"))
        let checkpoints = try await self.checkpoints()
        let start: AuditVerifier.Start =
            from.map { .seq($0) } ?? (full || checkpoints.isEmpty ? .beginning : .lastCheckpoint)
        return try await AuditVerifier(pool: service.pool).verify(checkpoints: checkpoints, start: start)
    }

    /// The checkpoints to compare with: none without a key; else the log file's, else the
    /// database's copies, each signature checked (a bad one: `AuditCheckpointProblem`).
    public func checkpoints() async throws -> [Checkpoint] {
        guard let key else { return [] }
        let notes: [String]
        if let checkpointLog {
            notes = try checkpointLog.notes()
        } else {
            notes = try await CheckpointStore.notes(service.pool)
        }
        do {
            return try CheckpointLog.checkpoints(notes: notes, verifier: key)
        } catch let error as CheckpointError {
            throw AuditCheckpointProblem(error: error)
        }
    }
}

/// A checkpoint that does not verify (forged, another key, shrinking): the log cannot be trusted.
public struct AuditCheckpointProblem: Error, Sendable {
    public let error: CheckpointError
}
