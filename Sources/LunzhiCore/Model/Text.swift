/// Checks of free text from users: length in characters, no NUL or other control characters
/// (line breaks and tabs only where a field may span lines), not blank when required.
enum TextRule {
    static func check(
        _ value: String, field: String, maxLength: Int, multiline: Bool = false, required: Bool = true
    ) throws(DomainError) -> String {
        for scalar in value.unicodeScalars {
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            if scalar.value == 0 {
                throw DomainError(.invalidText, detail: "text_nul", ["field": .field(field)])
            }
            if isControl && !(multiline && (scalar == "\n" || scalar == "\t" || scalar == "\r")) {
                throw DomainError(
                    .invalidText, detail: "text_control",
                    ["field": .field(field), "code": "\(String(scalar.value, radix: 16, uppercase: true))"])
            }
        }
        // Code points, as PostgreSQL's char_length counts them: a CHECK on the column can then
        // never refuse what passed here (and show the failing row in the server's log).
        let count = value.unicodeScalars.count
        if count > maxLength {
            throw DomainError(
                .textTooLong, detail: "text_too_long", ["field": .field(field), "count": "\(count)", "limit": "\(maxLength)"])
        }
        if required && TextMatch.visibleCount(value) == 0 && !value.contains(where: Self.isVisibleMark) {
            throw DomainError(.invalidArgument, detail: "text_empty", ["field": .field(field)])
        }
        return value
    }

    /// Punctuation and symbols are visible too (a title of "?"), format characters and spaces are not.
    static func isVisibleMark(_ c: Character) -> Bool {
        c.unicodeScalars.contains {
            !$0.properties.isWhitespace && $0.properties.generalCategory != .format
                && $0.properties.generalCategory != .control && $0.properties.generalCategory != .nonspacingMark
                && $0.properties.generalCategory != .enclosingMark
        }
    }

    /// The least a justification must say: written text a reader can see (letters and digits
    /// after TextMatch's normalisation), not a zero-width space or a dot.
    static let minimumJustification = 4

    /// A justification: checked as text, then required to hold `minimumJustification` visible
    /// letters or digits. Nil when absent or blank.
    static func justification(_ value: String?) throws(DomainError) -> String? {
        guard let value = try optional(value, field: "justification", maxLength: 20_000) else { return nil }
        guard TextMatch.visibleCount(value) >= minimumJustification else {
            throw DomainError(.justificationRequired, detail: "justification_short", ["count": "\(minimumJustification)"])
        }
        return value
    }

    static func optional(_ value: String?, field: String, maxLength: Int, multiline: Bool = true) throws(DomainError)
        -> String?
    {
        guard let value, TextMatch.visibleCount(value) > 0 || value.contains(where: isVisibleMark) else { return nil }
        return try check(value, field: field, maxLength: maxLength, multiline: multiline)
    }
}
