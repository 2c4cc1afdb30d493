/// A Swift value that can be read from a result column in PostgreSQL's text output format.
public protocol PostgresDecodable: Sendable {
    /// Builds the value from the column's text; throws `PostgresDecodingFailure` when the text or
    /// the column type does not fit.
    init(postgresText text: String, type: PostgresTypeOID) throws

    /// The value for SQL NULL; by default NULL is an error (only optionals accept it).
    static func postgresNull() throws -> Self

    /// The name used in decoding errors ("Int", "Date", …).
    static var postgresTypeName: String { get }
}

extension PostgresDecodable {
    public static func postgresNull() throws -> Self {
        throw PostgresDecodingFailure("unexpected NULL")
    }
    public static var postgresTypeName: String { String(describing: Self.self) }
}

/// Why one value could not be decoded; the row turns it into a `PostgresDecodingError` that also
/// names the column.
public struct PostgresDecodingFailure: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }

    static func wrongType(_ type: PostgresTypeOID) -> PostgresDecodingFailure {
        PostgresDecodingFailure("column type \(type) does not convert")
    }
}

/// A column could not be decoded as the requested Swift type.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    /// The column's name (or `#index` when asked by position).
    public var column: String
    /// The Swift type asked for.
    public var expectedType: String
    /// The column's PostgreSQL type.
    public var actualType: PostgresTypeOID
    public var reason: String

    public var description: String {
        "cannot decode column \"\(column)\" (\(actualType)) as \(expectedType): \(reason)"
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        self = .some(try Wrapped(postgresText: text, type: type))
    }
    public static func postgresNull() throws -> Self { .none }
    public static var postgresTypeName: String { Wrapped.postgresTypeName + "?" }
}
