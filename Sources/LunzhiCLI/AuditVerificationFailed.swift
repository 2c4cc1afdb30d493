import ArgumentParser
import Foundation
import Logging
import LunzhiAudit
import LunzhiCore
import LunzhiOperations
import LunzhiReminders
import PostgresLibPQ
import ServiceLifecycle

/// The scheduled verification found the history altered.
struct AuditVerificationFailed: Error, CustomStringConvertible {
    let failure: AuditFailure
    var description: String { "the audit log does not verify at \(failure)" }
}
