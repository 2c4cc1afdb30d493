/// HTML built by appending: text goes in escaped, markup only from the literals in this module.
///
/// `HTML` is a value the page functions return; `text` escapes `& < > " '` and shows invisible
/// controls and bidi overrides as visible escapes (a title cannot reorder the line it sits in).
struct HTML: Sendable {
    private(set) var raw: String = ""

    init() {}
    /// Markup written in this module (never user input).
    init(markup: String) { raw = markup }

    mutating func markup(_ s: String) { raw += s }
    mutating func text(_ s: String) { raw += HTML.escape(s) }
    mutating func append(_ other: HTML) { raw += other.raw }

    /// `<tag attrs>text</tag>` with the text escaped.
    mutating func element(_ tag: String, _ attributes: String = "", text: String) {
        raw += "<\(tag)\(attributes.isEmpty ? "" : " " + attributes)>"
        self.text(text)
        raw += "</\(tag)>"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            case "\r": break
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x202A...0x202E).contains(scalar.value)
                    || (0x2066...0x2069).contains(scalar.value) || scalar.value == 0x200E || scalar.value == 0x200F
                {
                    // Visible, not obeyed: U+202E shows as ⟨U+202E⟩.
                    out += "⟨U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(4) + "⟩"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// An attribute value, escaped (for use inside double quotes).
    static func attribute(_ s: String) -> String { escape(s) }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
