/// Enumerations stored as their raw values (`text` columns with a CHECK of the allowed words)
/// decode by declaring `PostgresDecodable` conformance. A value the type does not know — the
/// schema and the code have drifted — throws `PostgresDecodingFailure` naming the value and the
/// type, which the caller reports as one failed request, never a crash (postgres-nio's
/// `RawRepresentable+PostgresCodable` is the model).
extension PostgresDecodable where Self: RawRepresentable, RawValue: PostgresDecodable {
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        let raw = try RawValue(postgresText: text, type: type)
        guard let value = Self(rawValue: raw) else {
            throw PostgresDecodingFailure("\"\(String(describing: raw).prefix(40))\" is not a known \(Self.self)")
        }
        self = value
    }
}
