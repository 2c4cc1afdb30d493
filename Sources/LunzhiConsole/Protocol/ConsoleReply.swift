public import LunzhiCore

/// A reply: a code, and either data (success) or an error name and message.
///
/// Text mode is SMTP-style (`CCC-line` … `CCC line`); JSON mode is one object per line. Both are
/// rendered from the same reply, so the two modes never disagree.
public struct ConsoleReply: Sendable, Equatable {
    public var code: Int
    /// For errors: the stable name (`NOT_CHAIR`).
    public var errorName: String?
    /// For errors: the message; for successes: the first text line.
    public var message: String
    /// Further text lines (success replies).
    public var lines: [String]
    /// The JSON `data` of a success reply.
    public var data: JSONValue
    /// Close the connection after sending.
    public var closeAfter: Bool = false

    public static func ok(_ message: String, lines: [String] = [], data: JSONValue = .null, code: Int = 200)
        -> ConsoleReply
    {
        ConsoleReply(code: code, errorName: nil, message: message, lines: lines, data: data)
    }

    public static func error(_ code: Int, _ name: String, _ message: String, closeAfter: Bool = false) -> ConsoleReply {
        ConsoleReply(code: code, errorName: name, message: message, lines: [], data: .null, closeAfter: closeAfter)
    }

    public var isSuccess: Bool { code < 400 }

    /// The reply in text mode, each line ending in CRLF.
    public func text(tag: String?) -> String {
        var out = ""
        writeText(tag: tag) { out += $0 }
        return out
    }

    /// The reply in text mode, handed to `write` piece by piece (the server appends them to its
    /// output buffer without joining them into one string first).
    func writeText(tag: String?, _ write: (String) -> Void) {
        let code = String(self.code)
        func start(last: Bool) {
            write(code)
            write(last ? " " : "-")
            if let tag {
                write("@")
                write(tag)
                write(" ")
            }
        }
        start(last: lines.isEmpty)
        if let errorName {
            write(Self.escapeControls(errorName))
            write(" ")
        }
        write(Self.escapeControls(message))
        write("\r\n")
        for (index, line) in lines.enumerated() {
            start(last: index == lines.count - 1)
            write(Self.escapeControls(line))
            write("\r\n")
        }
    }

    /// The reply as one line of JSON, ending in CRLF.
    public func json(tag: String?) -> String {
        var members: [(String, JSONValue)] = []
        members.append(("tag", .optional(tag)))
        members.append(("ok", .bool(isSuccess)))
        members.append(("code", .int(code)))
        if let errorName {
            members.append(("error", .object([("name", .string(errorName)), ("message", .string(message))])))
        } else {
            members.append(("message", .string(message)))
            members.append(("data", data))
        }
        return JSONValue.object(members).serialized() + "\r\n"
    }

    /// Text mode prints UTF-8 as is and escapes control characters (and the backslash, so escapes
    /// are unambiguous), and as `\u{…}` the invisible characters that could make a reply read
    /// differently from what it holds: C1 controls, bidi embeddings, overrides, isolates and marks,
    /// zero-width characters, the line and paragraph separators.
    static func escapeControls(_ line: String) -> String {
        // Fast path: no ASCII control or backslash, and no lead byte of the invisible ranges (C2:
        // C1 controls; D8: U+061C; E2: U+2000–U+2FFF; EF: U+FEFF). Chinese text (E3–E9) passes.
        guard
            line.utf8.contains(where: {
                $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") || $0 == 0xC2 || $0 == 0xD8 || $0 == 0xE2
                    || $0 == 0xEF
            })
        else {
            return line
        }
        var out = ""
        for scalar in line.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else if Self.isInvisible(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// C1 controls, bidi formatting (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069),
    /// zero-width characters (U+200B–U+200D, U+2060–U+2064, U+FEFF) and U+2028/U+2029.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x80...0x9F, 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }
}
