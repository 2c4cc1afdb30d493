import Foundation
import Logging
import LunzhiCore
import LunzhiAudit
import PostgresLibPQ

/// The one place where errors become protocol replies. The wire never shows a Swift type name
/// or a stack trace; an unexpected error is logged with an id that the reply shows.
enum ConsoleErrorMapping {
    static func reply(for error: any Error, command: String, requestID: RequestID, logger: Logger) -> ConsoleReply {
        switch error {
        case let error as DomainError:
            let code =
                switch error.category {
                case .permission: error.name == .authFailed ? 401 : 403
                case .notFound: 404
                case .conflict: 409
                case .validation: 422
                }
            return .error(code, error.name.rawValue, error.message)
        case let error as ConsoleArgumentError:
            return .error(400, "BAD_ARGUMENT", error.message)
        case let problem as AuditCheckpointProblem:
            return .error(409, "AUDIT_BROKEN", "the checkpoints do not verify: \(problem.error)")
        case let error as PostgresError where error.kind == .commitOutcomeUnknown:
            logger.error(
                "commit outcome unknown",
                metadata: ["command": "\(command)", "request_id": "\(requestID)", "error": "\(error.message)"])
            return .error(
                500, "OUTCOME_UNKNOWN",
                "the database connection was lost while committing: the change may or may not have been made; look before retrying (request \(requestID))"
            )
        case let error as PostgresError where error.code == .readOnlySQLTransaction:
            logger.warning(
                "database read-only",
                metadata: ["command": "\(command)", "request_id": "\(requestID)", "error": "\(error.message)"])
            return .error(
                503, "DATABASE_READ_ONLY",
                "the database accepts no changes at the moment; nothing was changed, try later")
        case let error as PostgresError where error.code.rawValue.hasPrefix("53"):
            // Class 53, insufficient resources: disk full, out of memory, too many connections. The
            // server's message (file paths) goes to the log, not to the client.
            logger.error(
                "database out of resources",
                metadata: ["command": "\(command)", "request_id": "\(requestID)", "error": "\(error)"])
            return error.code == .diskFull
                ? .error(503, "DATABASE_DISK_FULL", "the database's disk is full; nothing was changed, try later")
                : .error(503, "DATABASE_UNAVAILABLE", "the database is out of resources; nothing was changed, try later")
        case let error as PostgresError where error.isTransient:
            logger.warning(
                "database unavailable",
                metadata: ["command": "\(command)", "request_id": "\(requestID)", "error": "\(error.message)"])
            return .error(503, "DATABASE_UNAVAILABLE", "the database is unavailable; nothing was changed, try again")
        default:
            logger.error(
                "internal error",
                metadata: ["command": "\(command)", "request_id": "\(requestID)", "error": "\(error)"])
            return .error(500, "INTERNAL", "internal error; request \(requestID) is logged")
        }
    }
}

/// A malformed or missing argument: `400 BAD_ARGUMENT`.
struct ConsoleArgumentError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
