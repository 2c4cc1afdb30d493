public import Foundation

// Conformances of the standard scalar types, in PostgreSQL's text format.

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { PostgresParameter(type: .unspecified, text: self) }
    /// Any column can be read as its text representation.
    public init(postgresText text: String, type: PostgresTypeOID) throws { self = text }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { PostgresParameter(type: .bool, text: self ? "t" : "f") }
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        guard type == .bool || type.isTextual else { throw PostgresDecodingFailure.wrongType(type) }
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw PostgresDecodingFailure("not a boolean: \(text.prefix(40))")
        }
    }
}

/// Shared by the fixed-width integers: accepts the integer column types and checks the range.
protocol PostgresIntegerCodable: FixedWidthInteger, PostgresEncodable, PostgresDecodable {
    static var postgresOID: PostgresTypeOID { get }
}

extension PostgresIntegerCodable {
    public var postgresParameter: PostgresParameter { PostgresParameter(type: Self.postgresOID, text: String(self)) }
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        guard type == .int2 || type == .int4 || type == .int8 || type == .oid || type == .numeric || type.isTextual
        else { throw PostgresDecodingFailure.wrongType(type) }
        guard let value = Self(text, radix: 10) else {
            throw PostgresDecodingFailure("\(text.prefix(40)) is not an integer in range of \(Self.self)")
        }
        self = value
    }
}

extension Int: PostgresIntegerCodable { static var postgresOID: PostgresTypeOID { .int8 } }
extension Int64: PostgresIntegerCodable { static var postgresOID: PostgresTypeOID { .int8 } }
extension Int32: PostgresIntegerCodable { static var postgresOID: PostgresTypeOID { .int4 } }
extension Int16: PostgresIntegerCodable { static var postgresOID: PostgresTypeOID { .int2 } }

extension Double: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter {
        let text: String =
            if isNaN { "NaN" } else if self == .infinity { "Infinity" } else if self == -.infinity { "-Infinity" } else
            {
                // Swift prints the shortest text that reads back to the same Double.
                "\(self)"
            }
        return PostgresParameter(type: .float8, text: text)
    }
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        guard
            type == .float8 || type == .float4 || type == .numeric || type == .int2 || type == .int4
                || type == .int8 || type.isTextual
        else { throw PostgresDecodingFailure.wrongType(type) }
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { throw PostgresDecodingFailure("not a number: \(text.prefix(40))") }
            self = value
        }
    }
}

/// `numeric` travels as decimal text both ways: no binary floating point in between.
extension Decimal: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter {
        PostgresParameter(type: .numeric, text: isNaN ? "NaN" : description)
    }
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        guard type == .numeric || type == .int2 || type == .int4 || type == .int8 || type.isTextual else {
            throw PostgresDecodingFailure.wrongType(type)
        }
        if text == "NaN" {
            self = .nan
            return
        }
        guard text.utf8.count <= 40, let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { throw PostgresDecodingFailure("\(text.prefix(60)) does not fit in Decimal (38 digits)") }
        self = value
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { PostgresParameter(type: .uuid, text: uuidString.lowercased()) }
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        guard type == .uuid || type.isTextual else { throw PostgresDecodingFailure.wrongType(type) }
        guard let value = UUID(uuidString: text) else {
            throw PostgresDecodingFailure("not a UUID: \(text.prefix(40))")
        }
        self = value
    }
}

/// `bytea` is bound in binary format (no escaping) and read from the hex text format.
extension Data: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter {
        PostgresParameter(type: .bytea, format: .binary, bytes: Array(self))
    }
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        guard type == .bytea else { throw PostgresDecodingFailure.wrongType(type) }
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw PostgresDecodingFailure("bytea is not in hex format (set bytea_output = hex)")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            guard let hi = hexValue(utf8[i]), let lo = hexValue(utf8[i + 1]) else {
                throw PostgresDecodingFailure("invalid hex digit in bytea")
            }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self = Data(bytes)
    }
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension PostgresJSON: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { PostgresParameter(type: .jsonb, text: text) }
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        guard type == .jsonb || type == .json || type.isTextual else { throw PostgresDecodingFailure.wrongType(type) }
        self.init(text: text)
    }
}
