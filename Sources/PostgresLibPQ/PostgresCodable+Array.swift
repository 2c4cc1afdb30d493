// One-dimensional arrays in PostgreSQL's array literal format: `{"a","b \"c\"",NULL}`.

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public var postgresParameter: PostgresParameter {
        var text = "{"
        for (index, element) in self.enumerated() {
            if index > 0 { text += "," }
            text += PostgresArrayLiteral.quote(element.arrayElementText)
        }
        text += "}"
        return PostgresParameter(type: Element.arrayOID, text: text)
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public init(postgresText text: String, type: PostgresTypeOID) throws {
        let elements = try PostgresArrayLiteral.parse(text)
        self = try elements.map { element in
            guard let element else { throw PostgresDecodingFailure("array holds NULL") }
            return try Element(postgresText: element, type: Element.elementOID)
        }
    }
    public static var postgresTypeName: String { "[\(Element.postgresTypeName)]" }
}

/// A type that can be an element of a bound or decoded array.
public protocol PostgresArrayElement: PostgresDecodable, Sendable {
    static var arrayOID: PostgresTypeOID { get }
    static var elementOID: PostgresTypeOID { get }
    var arrayElementText: String { get }
}

extension String: PostgresArrayElement {
    public static var arrayOID: PostgresTypeOID { .textArray }
    public static var elementOID: PostgresTypeOID { .text }
    public var arrayElementText: String { self }
}

extension Int: PostgresArrayElement {
    public static var arrayOID: PostgresTypeOID { .int8Array }
    public static var elementOID: PostgresTypeOID { .int8 }
    public var arrayElementText: String { String(self) }
}

enum PostgresArrayLiteral {
    static func quote(_ value: String) -> String {
        if !value.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + value + "\""
        }
        var out = "\""
        for ch in value.unicodeScalars {
            if ch == "\"" || ch == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(ch)
        }
        out += "\""
        return out
    }

    /// Parses a one-dimensional array literal; NULL elements are nil.
    static func parse(_ text: String) throws -> [String?] {
        var scalars = Array(text.unicodeScalars)[...]
        // An optional dimension decoration such as "[0:2]=" precedes the braces.
        if scalars.first == "[", let eq = scalars.firstIndex(of: "=") { scalars = scalars[(eq + 1)...] }
        guard scalars.first == "{", scalars.last == "}" else { throw PostgresDecodingFailure("not an array literal") }
        scalars = scalars.dropFirst().dropLast()
        var result: [String?] = []
        if scalars.isEmpty { return result }
        var i = scalars.startIndex
        while true {
            guard i <= scalars.endIndex else { break }
            if i < scalars.endIndex, scalars[i] == "{" {
                throw PostgresDecodingFailure("multi-dimensional arrays are not supported")
            }
            if i < scalars.endIndex, scalars[i] == "\"" {
                var value = String.UnicodeScalarView()
                i += 1
                while i < scalars.endIndex, scalars[i] != "\"" {
                    if scalars[i] == "\\" { i += 1 }
                    guard i < scalars.endIndex else { break }
                    value.append(scalars[i])
                    i += 1
                }
                guard i < scalars.endIndex else { throw PostgresDecodingFailure("unterminated quoted array element") }
                i += 1
                result.append(String(value))
            } else {
                var value = String.UnicodeScalarView()
                while i < scalars.endIndex, scalars[i] != "," {
                    value.append(scalars[i])
                    i += 1
                }
                let word = String(value).trimmingSpaces
                result.append(word.uppercased() == "NULL" ? nil : word)
            }
            if i >= scalars.endIndex { break }
            guard scalars[i] == "," else { throw PostgresDecodingFailure("malformed array literal") }
            i += 1
        }
        return result
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
