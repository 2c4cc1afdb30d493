import Foundation

/// A `json`/`jsonb` value, kept as its JSON text; bound as `jsonb`.
public struct PostgresJSON: Hashable, Sendable, CustomStringConvertible {
    /// The JSON document as text.
    public var text: String

    public init(text: String) { self.text = text }

    /// Encodes a value with JSONEncoder (keys sorted, so equal values give equal text).
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes the document with JSONDecoder.
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(text.utf8))
    }

    public var description: String { text }
}
