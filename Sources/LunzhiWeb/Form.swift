import Foundation
import Hummingbird
import LunzhiCore
import NIOCore

/// A submitted form (`application/x-www-form-urlencoded`), decoded strictly: invalid UTF-8 or
/// a malformed escape is refused with INVALID_TEXT before any field is read.
struct Form: Sendable {
    private(set) var fields: [(String, String)] = []

    init(fields: [(String, String)]) { self.fields = fields }

    /// Reads the body (at most 1 MiB: more is 413 without reading it whole) and decodes it.
    static func read(_ request: Request, _ context: WebContext) async throws -> Form {
        var request = request
        let buffer = try await request.collectBody(upTo: WebLimits.maximumBody)
        return try decode(Array(buffer.readableBytesView))
    }

    static func decode(_ bytes: [UInt8]) throws(DomainError) -> Form {
        var fields: [(String, String)] = []
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try unescape(parts[0])
            let value = parts.count > 1 ? try unescape(parts[1]) : ""
            fields.append((name, value))
        }
        return Form(fields: fields)
    }

    private static func unescape(_ bytes: ArraySlice<UInt8>) throws(DomainError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) else {
                    throw DomainError(.invalidText, detail: "form_escape")
                }
                out.append(high << 4 | low)
                i += 2
            } else {
                out.append(byte)
            }
            i += 1
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw DomainError(.invalidText, detail: "form_utf8")
        }
        return text
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    subscript(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }

    func all(_ name: String) -> [String] { fields.filter { $0.0 == name }.map(\.1) }

    /// A field's text, trimmed; nil when absent or empty.
    func optional(_ name: String) -> String? {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            return nil
        }
        return value
    }

    func required(_ name: String) throws(DomainError) -> String {
        guard let value = optional(name) else {
            throw DomainError(.invalidArgument, detail: "form_required", ["field": .field(name)])
        }
        return value
    }

    func int(_ name: String) throws(DomainError) -> Int {
        guard let text = optional(name), let value = Int(text), value > 0 else {
            throw DomainError(.invalidArgument, detail: "form_number", ["field": .field(name)])
        }
        return value
    }

    func choice<T: RawRepresentable>(_ name: String, _ type: T.Type) throws(DomainError) -> T where T.RawValue == String {
        guard let text = optional(name), let value = T(rawValue: text) else {
            throw DomainError(.invalidArgument, detail: "form_choice", ["field": .field(name)])
        }
        return value
    }

    /// A `datetime-local` field (Shanghai time) or a date.
    func time(_ name: String) throws(DomainError) -> Date {
        guard let text = optional(name) else {
            throw DomainError(.invalidArgument, detail: "form_required", ["field": .field(name)])
        }
        guard let time = ShanghaiCalendar.parseTime(text) else {
            throw DomainError(.invalidArgument, detail: "form_time", ["field": .field(name)])
        }
        return time
    }

    func optionalTime(_ name: String) throws(DomainError) -> Date? {
        guard optional(name) != nil else { return nil }
        return try time(name)
    }
}

extension Request {
    /// A query parameter, or nil when absent or empty.
    func query(_ name: String) -> String? {
        guard let value = uri.queryParameters[Substring(name)].map(String.init), !value.isEmpty else { return nil }
        return value
    }
}
