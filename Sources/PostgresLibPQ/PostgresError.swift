/// An error from the driver: a server error with its SQLSTATE and fields, or a client-side failure
/// (connection lost, pool exhausted, a parameter PostgreSQL cannot accept).
///
/// The kind is an open struct, so adding kinds later does not break code that switches on them.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, broadly. Compare with the static members; new kinds may be added.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case server, connection, connectionClosed, poolTimeout, poolClosed, invalidParameter
            case protocolViolation, cancelled, commitOutcomeUnknown
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server refused or failed a statement; `code` and the fields say why.
        public static let server = Kind(.server)
        /// No connection could be made, or it broke while in use. Retrying later may succeed.
        public static let connection = Kind(.connection)
        /// The connection was closed by this process.
        public static let connectionClosed = Kind(.connectionClosed)
        /// No pooled connection became free within the pool's wait timeout.
        public static let poolTimeout = Kind(.poolTimeout)
        /// The pool was shut down.
        public static let poolClosed = Kind(.poolClosed)
        /// A parameter cannot be sent (for example text holding a NUL byte).
        public static let invalidParameter = Kind(.invalidParameter)
        /// libpq returned something the driver did not expect.
        public static let protocolViolation = Kind(.protocolViolation)
        /// The statement was cancelled because its task was cancelled.
        public static let cancelled = Kind(.cancelled)
        /// The connection broke while COMMIT was in flight: the transaction may or may not have
        /// committed (SQLSTATE 08007). Never retried blindly; never reported as "nothing changed".
        public static let commitOutcomeUnknown = Kind(.commitOutcomeUnknown)

        public var description: String { base.rawValue }
    }

    public var kind: Kind
    /// The SQLSTATE, from the server or assigned by the driver for client-side failures.
    public var code: Code
    public var message: String
    public var detail: String?
    public var hint: String?
    public var severity: String?
    public var schemaName: String?
    public var tableName: String?
    public var columnName: String?
    public var constraintName: String?
    /// The statement that failed, when known; never its parameters.
    public var query: String?

    public init(
        kind: Kind, code: Code, message: String, detail: String? = nil, hint: String? = nil,
        severity: String? = nil, schemaName: String? = nil, tableName: String? = nil,
        columnName: String? = nil, constraintName: String? = nil, query: String? = nil
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.detail = detail
        self.hint = hint
        self.severity = severity
        self.schemaName = schemaName
        self.tableName = tableName
        self.columnName = columnName
        self.constraintName = constraintName
        self.query = query
    }

    /// A failure of COMMIT that does not say whether it took effect: the connection broke, or the
    /// server was shutting down or crashing. (A server error such as a serialization failure or a
    /// deferred constraint means it rolled back.)
    var leavesCommitUnknown: Bool {
        kind == .connection || kind == .connectionClosed || code.isConnectionClass || code == .adminShutdown
            || code == .crashShutdown
    }

    /// True when running the same work again may succeed: serialization failures, deadlocks, and
    /// connection failures (the server was restarted, or could not be reached).
    public var isTransient: Bool {
        if kind == .commitOutcomeUnknown { return false }
        if kind == .connection || kind == .poolTimeout { return true }
        return code == .serializationFailure || code == .deadlockDetected || code.isConnectionClass
            || code == .adminShutdown || code == .crashShutdown || code == .cannotConnectNow
    }

    public var description: String {
        var text = "\(kind) error \(code.rawValue): \(message)"
        if let detail { text += " (detail: \(detail))" }
        if let hint { text += " (hint: \(hint))" }
        if let constraintName { text += " [constraint \(constraintName)]" }
        if let tableName { text += " [table \(tableName)]" }
        return text
    }
}
