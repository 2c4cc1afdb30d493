import Foundation

/// Comparing text that users can disguise (screening, the justification rule). Stored text stays
/// as given; only what is compared is normalised:
///
/// 1. NFKC (full-width ｓｔｅｅｌ → steel, compatibility forms → their letters), then lower case;
/// 2. letters of other scripts that look Latin (Cyrillic ѕ, а, е, о, р, с, у, х, і, ј; Greek ο, α, ε,
///    ι, κ, ν, ρ, τ, υ, χ) mapped to the Latin letter they imitate (a subset of Unicode TR 39's
///    confusables: the ones that render like the catalogue's Latin terms);
/// 3. everything that is not a letter or a digit removed: format characters (zero-width joiners
///    and spaces, bidi overrides and isolates), white space, punctuation, symbols.
///
/// A catalogue term then matches when its normalised form is **contained** in the normalised
/// text: 钢铁冶炼 contains 钢铁, "stainless steel." contains steel. Containment errs on the side of
/// screening: a false match sends a project to the special track's scrutiny, never refuses it.
public enum TextMatch {
    public static func normalized(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        var out = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars {
            let mapped = lookAlikes[scalar] ?? scalar
            if mapped.properties.isAlphabetic || mapped.properties.numericType != nil {
                out.append(mapped)
            }
        }
        return String(out)
    }

    /// Whether `term` (normalised) occurs in `text` (normalised). An empty term matches nothing.
    public static func contains(_ text: String, term: String) -> Bool {
        let needle = normalized(term)
        return !needle.isEmpty && normalized(text).contains(needle)
    }

    /// Letters and digits a reader can see: what is left after normalising.
    public static func visibleCount(_ text: String) -> Int { normalized(text).unicodeScalars.count }

    private static let lookAlikes: [Unicode.Scalar: Unicode.Scalar] = {
        let pairs: [(UInt32, Character)] = [
            // Cyrillic
            (0x0430, "a"), (0x0435, "e"), (0x043E, "o"), (0x0440, "p"), (0x0441, "c"), (0x0443, "y"), (0x0445, "x"),
            (0x0455, "s"), (0x0456, "i"), (0x0458, "j"), (0x04BB, "h"), (0x0501, "d"), (0x051B, "q"), (0x051D, "w"),
            (0x04CF, "l"), (0x0491, "r"),
            // Greek
            (0x03BF, "o"), (0x03B1, "a"), (0x03B5, "e"), (0x03B9, "i"), (0x03BA, "k"), (0x03BD, "v"), (0x03C1, "p"),
            (0x03C4, "t"), (0x03C5, "u"), (0x03C7, "x"), (0x03B2, "b"),
            // Latin small capitals and other look-alikes
            (0xA731, "s"), (0x0261, "g"), (0x026A, "i"), (0x1D00, "a"), (0x1D07, "e"), (0x029F, "l"), (0x1D1B, "t"),
        ]
        var table: [Unicode.Scalar: Unicode.Scalar] = [:]
        for (code, latin) in pairs { table[Unicode.Scalar(code)!] = latin.unicodeScalars.first! }
        return table
    }()
}
