public import Foundation
public import LunzhiAudit
public import LunzhiCore
import NIOConcurrencyHelpers

/// What every session shares: the service, the version, counters.
public final class ConsoleEnvironment: Sendable {
    public let service: Cooperation
    public let version: String
    public let startedAt: Date
    let admission = NIOLockedValueBox(ConsoleAdmission())

    /// AUDIT VERIFY's use case, with how it checks checkpoints: the signer's public key, and the
    /// checkpoint log file (when nil, the copies in the database's `audit_checkpoint` table).
    public let auditDesk: AuditDesk

    public init(
        service: Cooperation, version: String, auditKey: SignedNote.Verifier? = nil, checkpointLog: CheckpointLog? = nil
    ) {
        self.service = service
        self.version = version
        self.startedAt = Date()
        self.auditDesk = AuditDesk(service: service, key: auditKey, checkpointLog: checkpointLog)
    }

    public var connectionCount: Int { admission.withLockedValue { $0.total } }
}
