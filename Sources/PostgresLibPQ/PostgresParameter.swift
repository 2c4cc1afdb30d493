/// One bound parameter as it goes to the server: a type OID and its bytes, or NULL.
///
/// Text-format values are UTF-8; `bytea` travels in binary format, so any bytes pass unchanged.
public struct PostgresParameter: Sendable {
    public enum Format: Int32, Sendable { case text = 0, binary = 1 }

    public var type: PostgresTypeOID
    public var format: Format
    /// nil is SQL NULL.
    public var bytes: [UInt8]?

    public init(type: PostgresTypeOID, format: Format = .text, bytes: [UInt8]?) {
        self.type = type
        self.format = format
        self.bytes = bytes
    }

    public init(type: PostgresTypeOID, text: String) {
        self.init(type: type, format: .text, bytes: Array(text.utf8))
    }

    public static func null(_ type: PostgresTypeOID = .unspecified) -> PostgresParameter {
        PostgresParameter(type: type, bytes: nil)
    }
}

/// A Swift value that can be bound as a statement parameter.
public protocol PostgresEncodable: Sendable {
    /// The parameter to send; `bytes == nil` sends NULL.
    var postgresParameter: PostgresParameter { get }
}

/// A NULL of unspecified type, for parameter lists: `[name, PostgresNull()]`.
public struct PostgresNull: PostgresEncodable {
    public init() {}
    public var postgresParameter: PostgresParameter { .null() }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresParameter: PostgresParameter {
        switch self {
        case .some(let value): value.postgresParameter
        case .none: .null(Self.nullType)
        }
    }

    private static var nullType: PostgresTypeOID {
        // The type of a NULL still matters for inference (e.g. `$1 IS NULL` needs a type).
        switch Wrapped.self {
        case is Int.Type, is Int64.Type: .int8
        case is Int32.Type: .int4
        case is Int16.Type: .int2
        case is Bool.Type: .bool
        case is Double.Type: .float8
        default: .unspecified
        }
    }
}
