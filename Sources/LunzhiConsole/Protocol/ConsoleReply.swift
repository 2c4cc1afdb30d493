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

    /// Text mode prints UTF-8 as is and escapes only control characters (and the backslash, so
    /// escapes are unambiguous).
    static func escapeControls(_ line: String) -> String {
        // The characters escaped are ASCII, and no byte of a longer UTF-8 sequence is below 0x80.
        guard line.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") }) else {
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
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
