extension PostgresError {
    /// A SQLSTATE. An open set: any five-character code the server sends is kept as it is.
    public struct Code: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        public let rawValue: String

        public init(raw: String) { self.rawValue = raw }
        public init(stringLiteral value: String) { self.rawValue = value }

        /// The two-character class, e.g. `23` for integrity constraint violations.
        public var `class`: String { String(rawValue.prefix(2)) }
        public var isConnectionClass: Bool { self.class == "08" }
        public var isIntegrityViolation: Bool { self.class == "23" }
        public var description: String { rawValue }

        public static let successfulCompletion: Code = "00000"
        // Class 08: connection exception
        public static let connectionException: Code = "08000"
        public static let connectionDoesNotExist: Code = "08003"
        public static let connectionFailure: Code = "08006"
        public static let sqlclientUnableToEstablishSQLConnection: Code = "08001"
        public static let transactionResolutionUnknown: Code = "08007"
        // Class 0A: feature not supported
        public static let featureNotSupported: Code = "0A000"
        // Class 22: data exception
        public static let dataException: Code = "22000"
        public static let stringDataRightTruncation: Code = "22001"
        public static let numericValueOutOfRange: Code = "22003"
        public static let invalidDatetimeFormat: Code = "22007"
        public static let characterNotInRepertoire: Code = "22021"
        public static let untranslatableCharacter: Code = "22P05"
        public static let invalidTextRepresentation: Code = "22P02"
        // Class 23: integrity constraint violation
        public static let integrityConstraintViolation: Code = "23000"
        public static let restrictViolation: Code = "23001"
        public static let notNullViolation: Code = "23502"
        public static let foreignKeyViolation: Code = "23503"
        public static let uniqueViolation: Code = "23505"
        public static let checkViolation: Code = "23514"
        public static let exclusionViolation: Code = "23P01"
        // Class 25: invalid transaction state
        public static let readOnlySQLTransaction: Code = "25006"
        public static let inFailedSQLTransaction: Code = "25P02"
        // Class 28: invalid authorization
        public static let invalidPassword: Code = "28P01"
        // Class 40: transaction rollback
        public static let serializationFailure: Code = "40001"
        public static let deadlockDetected: Code = "40P01"
        // Class 42: syntax error or access rule violation
        public static let syntaxError: Code = "42601"
        public static let insufficientPrivilege: Code = "42501"
        public static let undefinedTable: Code = "42P01"
        public static let undefinedColumn: Code = "42703"
        public static let undefinedFunction: Code = "42883"
        public static let duplicateObject: Code = "42710"
        // Class 53: insufficient resources
        public static let diskFull: Code = "53100"
        public static let tooManyConnections: Code = "53300"
        // Class 55/57: object state, operator intervention
        public static let lockNotAvailable: Code = "55P03"
        public static let queryCanceled: Code = "57014"
        public static let adminShutdown: Code = "57P01"
        public static let crashShutdown: Code = "57P02"
        public static let cannotConnectNow: Code = "57P03"
        // Class P0: PL/pgSQL
        public static let raiseException: Code = "P0001"
        // Class XX: internal error
        public static let internalError: Code = "XX000"
    }
}
