/// A PostgreSQL type OID. Open: any OID the server reports is kept.
public struct PostgresTypeOID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Lets the server infer the type from the statement (used for strings).
    public static let unspecified = PostgresTypeOID(0)
    public static let bool = PostgresTypeOID(16)
    public static let bytea = PostgresTypeOID(17)
    public static let name = PostgresTypeOID(19)
    public static let int8 = PostgresTypeOID(20)
    public static let int2 = PostgresTypeOID(21)
    public static let int4 = PostgresTypeOID(23)
    public static let text = PostgresTypeOID(25)
    public static let oid = PostgresTypeOID(26)
    public static let json = PostgresTypeOID(114)
    public static let float4 = PostgresTypeOID(700)
    public static let float8 = PostgresTypeOID(701)
    public static let unknown = PostgresTypeOID(705)
    public static let bpchar = PostgresTypeOID(1042)
    public static let varchar = PostgresTypeOID(1043)
    public static let date = PostgresTypeOID(1082)
    public static let timestamp = PostgresTypeOID(1114)
    public static let timestamptz = PostgresTypeOID(1184)
    public static let numeric = PostgresTypeOID(1700)
    public static let uuid = PostgresTypeOID(2950)
    public static let jsonb = PostgresTypeOID(3802)
    public static let textArray = PostgresTypeOID(1009)
    public static let varcharArray = PostgresTypeOID(1015)
    public static let int8Array = PostgresTypeOID(1016)
    public static let int4Array = PostgresTypeOID(1007)

    public var description: String {
        switch self {
        case .bool: "bool"
        case .bytea: "bytea"
        case .int2: "int2"
        case .int4: "int4"
        case .int8: "int8"
        case .text: "text"
        case .varchar: "varchar"
        case .json: "json"
        case .jsonb: "jsonb"
        case .float4: "float4"
        case .float8: "float8"
        case .date: "date"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .numeric: "numeric"
        case .uuid: "uuid"
        case .textArray: "text[]"
        default: "oid \(rawValue)"
        }
    }

    var isTextual: Bool {
        self == .text || self == .varchar || self == .bpchar || self == .name || self == .unknown
    }
}
