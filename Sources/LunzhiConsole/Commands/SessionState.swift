public import Foundation
public import LunzhiAudit
public import LunzhiCore
import NIOConcurrencyHelpers

/// One connection's state, used by one request at a time.
final class SessionState: @unchecked Sendable {
    // @unchecked: read and written by the connection's handler on its event loop, or by the
    // connection's task while the handler waits for it (ConsoleConnectionHandler.awaiting), never
    // both at once; the hand-overs (AsyncStream.yield, EventLoop.execute) order the accesses.
    var principal: Int?
    var principalName: String?
    var json = false
    let remoteAddress: String

    init(remoteAddress: String) { self.remoteAddress = remoteAddress }
}

/// What every session shares: the service, the version, counters, the sign-in throttle.
public final class ConsoleEnvironment: Sendable {
    public let service: Cooperation
    public let version: String
    public let startedAt: Date
    let connections = NIOLockedValueBox(0)
    let throttle = SignInThrottle()

    /// How AUDIT VERIFY checks checkpoints: the signer's public key, and the checkpoint log file
    /// (when nil, the copies in the database's `audit_checkpoint` table are used).
    public let auditKey: SignedNote.Verifier?
    public let checkpointLog: CheckpointLog?

    public init(
        service: Cooperation, version: String, auditKey: SignedNote.Verifier? = nil, checkpointLog: CheckpointLog? = nil
    ) {
        self.service = service
        self.version = version
        self.startedAt = Date()
        self.auditKey = auditKey
        self.checkpointLog = checkpointLog
    }

    public var connectionCount: Int { connections.withLockedValue { $0 } }
}

/// Failed sign-ins per source address: each failure within the window adds delay before the
/// answer (0.25 s doubling, at most 8 s); more than 20 failures lock the address out for the window.
actor SignInThrottle {
    private var failures: [String: [Date]] = [:]
    static let window: TimeInterval = 600

    func delay(for address: String) -> Duration? {
        let recent = prune(address)
        if recent.count >= 20 { return nil }
        guard !recent.isEmpty else { return .zero }
        return .milliseconds(min(8000, 250 << min(recent.count - 1, 5)))
    }

    func recordFailure(_ address: String) {
        failures[address, default: []].append(Date())
    }

    func recordSuccess(_ address: String) { failures[address] = nil }

    private func prune(_ address: String) -> [Date] {
        let cutoff = Date().addingTimeInterval(-Self.window)
        let recent = (failures[address] ?? []).filter { $0 > cutoff }
        failures[address] = recent.isEmpty ? nil : recent
        return recent
    }
}
