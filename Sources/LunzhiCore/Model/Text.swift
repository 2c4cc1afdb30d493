/// Checks of free text from users: length in characters, no NUL or other control characters
/// (line breaks and tabs only where a field may span lines), not blank when required.
enum TextRule {
    static func check(
        _ value: String, field: String, maxLength: Int, multiline: Bool = false, required: Bool = true
    ) throws(DomainError) -> String {
        for scalar in value.unicodeScalars {
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            if scalar.value == 0 {
                throw DomainError(.invalidText, "\(field) contains a NUL byte")
            }
            if isControl && !(multiline && (scalar == "\n" || scalar == "\t" || scalar == "\r")) {
                throw DomainError(
                    .invalidText,
                    "\(field) contains control character U+\(String(scalar.value, radix: 16, uppercase: true))")
            }
        }
        let count = value.count
        if count > maxLength {
            throw DomainError(.textTooLong, "\(field) has \(count) characters; at most \(maxLength) are allowed")
        }
        if required && value.allSatisfy({ $0.isWhitespace }) {
            throw DomainError(.invalidArgument, "\(field) must not be empty")
        }
        return value
    }

    static func optional(_ value: String?, field: String, maxLength: Int, multiline: Bool = true) throws(DomainError)
        -> String?
    {
        guard let value, !value.allSatisfy({ $0.isWhitespace }) else { return nil }
        return try check(value, field: field, maxLength: maxLength, multiline: multiline)
    }
}
