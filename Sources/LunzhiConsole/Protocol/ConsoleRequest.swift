/// One parsed request line: an optional `@tag`, the words, and the `key=value` arguments.
///
/// Grammar (docs/console.md): words are separated by spaces; a word in double quotes may hold
/// spaces and the escapes `\"`, `\\`, `\n`, `\t`; a named argument is `key=value` or
/// `key="quoted value"`. Verbs are matched case-insensitively by the command table.
public struct ConsoleRequest: Sendable, Equatable {
    public var tag: String?
    /// Positional words, verb first.
    public var words: [String]
    /// Named arguments in the order given (a key may not repeat).
    public var named: [(key: String, value: String)]

    public static func == (a: ConsoleRequest, b: ConsoleRequest) -> Bool {
        a.tag == b.tag && a.words == b.words && a.named.map(\.key) == b.named.map(\.key)
            && a.named.map(\.value) == b.named.map(\.value)
    }

    public func value(_ key: String) -> String? { named.first { $0.key == key }?.value }
}

/// Why a line could not be parsed. Each maps to `400 BAD_SYNTAX`.
public struct ConsoleSyntaxError: Error, Sendable, Equatable {
    public var message: String
    /// The tag, when it could be read before the error.
    public var tag: String?
}

public enum ConsoleRequestParser {
    public static let maximumWords = 256

    /// Parses one line (without its line break). Never crashes: every input gives a request or a
    /// syntax error.
    public static func parse(_ bytes: [UInt8]) -> Result<ConsoleRequest, ConsoleSyntaxError> {
        if bytes.contains(0) { return .failure(ConsoleSyntaxError(message: "the request contains a NUL byte")) }
        // ASCII is valid UTF-8 as it is; only a line with other bytes is validated (String's
        // validation is generic and unspecialised, 3% of PING's CPU when every line went through it).
        var validated: String?
        if bytes.contains(where: { $0 >= 0x80 }) {
            guard let line = String(validating: bytes, as: UTF8.self) else {
                return .failure(ConsoleSyntaxError(message: "the request is not valid UTF-8"))
            }
            validated = line
        }
        if let words = plainWords(bytes) { return .success(ConsoleRequest(tag: nil, words: words, named: [])) }
        return parse(validated ?? String(decoding: bytes, as: UTF8.self))
    }

    /// The words of a line with nothing for the full parser to interpret (no tag, quote, `=`, or
    /// control character other than tab), split on spaces and tabs straight from the bytes: most
    /// requests, PING and the reads among them. Nil for any other line, which `parse` reads
    /// scalar by scalar; both give the same result (tested). `bytes` is valid UTF-8, and
    /// splitting it at ASCII bytes keeps each word valid.
    static func plainWords(_ bytes: [UInt8]) -> [String]? {
        var words: [String] = []
        var start = 0
        for index in 0...bytes.count {
            let byte = index < bytes.count ? bytes[index] : UInt8(ascii: " ")
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if start < index {
                    words.append(String(decoding: bytes[start..<index], as: UTF8.self))
                    if words.count > maximumWords { return nil }
                }
                start = index + 1
            case UInt8(ascii: "\""), UInt8(ascii: "="), UInt8(ascii: "@"), 0..<0x20: return nil
            default: continue
            }
        }
        return words
    }

    /// Whether the scalar at `index` lies inside a quoted value (quotes opened and not yet
    /// closed before it; a backslash inside quotes escapes the next scalar).
    static func isInsideQuotes(_ scalars: String.UnicodeScalarView, at index: Int) -> Bool {
        var inside = false
        var escaped = false
        for (position, scalar) in scalars.enumerated() {
            if position == index { return inside }
            if escaped {
                escaped = false
            } else if inside && scalar == "\\" {
                escaped = true
            } else if scalar == "\"" {
                inside.toggle()
            }
        }
        return inside
    }

    public static func parse(_ line: String) -> Result<ConsoleRequest, ConsoleSyntaxError> {
        var scalars = Array(line.unicodeScalars)[...]
        var tag: String?
        var words: [String] = []
        var named: [(key: String, value: String)] = []
        func fail(_ message: String) -> Result<ConsoleRequest, ConsoleSyntaxError> {
            .failure(ConsoleSyntaxError(message: message, tag: tag))
        }
        // Found once; reported when the words before it have been read (with the tag, if any).
        let control = scalars.firstIndex { $0.value < 0x20 && $0 != "\t" }
        while true {
            while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
            guard let first = scalars.first else { break }
            if let control, control >= scalars.startIndex {
                let bad = scalars[control]
                let code = String(bad.value, radix: 16, uppercase: true)
                return fail(
                    Self.isInsideQuotes(line.unicodeScalars, at: control)
                        ? "raw control character U+\(code) inside quotes; write \\r, \\n or \\t instead"
                        : "control character U+\(code) outside quotes; use \\n or \\t inside quotes")
            }
            // A tag: only as the very first word.
            if first == "@" && words.isEmpty && named.isEmpty && tag == nil {
                var raw = ""
                scalars.removeFirst()
                while let c = scalars.first, c != " " && c != "\t" {
                    raw.unicodeScalars.append(c)
                    scalars.removeFirst()
                }
                guard (1...64).contains(raw.count),
                    raw.unicodeScalars.allSatisfy({
                        $0.isASCII && (CharacterSetASCII.isAlphanumeric($0) || "._-:".unicodeScalars.contains($0))
                    })
                else { return fail("a tag is @ followed by 1–64 letters, digits, '.', '_', '-' or ':'") }
                tag = raw
                continue
            }
            // One word, or key=value (only the value may be quoted).
            var word = String.UnicodeScalarView()
            var key: String?
            var quoted = false
            while let c = scalars.first, c != " " && c != "\t" {
                if c == "\"" {
                    guard word.isEmpty else {
                        return fail("a quote may only start a word or a value")
                    }
                    scalars.removeFirst()
                    var closed = false
                    while let q = scalars.first {
                        scalars.removeFirst()
                        if q == "\"" {
                            closed = true
                            break
                        }
                        if q == "\\" {
                            guard let escaped = scalars.first else { return fail("a backslash ends the line") }
                            scalars.removeFirst()
                            switch escaped {
                            case "\"": word.append("\"")
                            case "\\": word.append("\\")
                            case "n": word.append("\n")
                            case "t": word.append("\t")
                            default: return fail("unknown escape \\\(escaped); use \\\", \\\\, \\n or \\t")
                            }
                        } else {
                            word.append(q)
                        }
                    }
                    guard closed else { return fail("unterminated quoted string") }
                    quoted = true
                    if let c = scalars.first, c != " " && c != "\t" {
                        return fail("a quoted string must be followed by a space or the end of the line")
                    }
                    break
                }
                if c == "=" && key == nil && !word.isEmpty {
                    let candidate = String(word)
                    if candidate.unicodeScalars.allSatisfy({ CharacterSetASCII.isKeyScalar($0) }) {
                        key = candidate.lowercased()
                        word = String.UnicodeScalarView()
                        scalars.removeFirst()
                        continue
                    }
                }
                word.append(c)
                scalars.removeFirst()
            }
            if let key {
                if named.contains(where: { $0.key == key }) { return fail("\(key)= is given twice") }
                named.append((key, String(word)))
            } else {
                if !quoted && word.isEmpty { continue }
                words.append(String(word))
            }
            if words.count + named.count > maximumWords { return fail("more than \(maximumWords) words") }
        }
        return .success(ConsoleRequest(tag: tag, words: words, named: named))
    }
}

enum CharacterSetASCII {
    static func isAlphanumeric(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
    }
    static func isKeyScalar(_ c: Unicode.Scalar) -> Bool { isAlphanumeric(c) || c == "_" || c == "-" }
}
