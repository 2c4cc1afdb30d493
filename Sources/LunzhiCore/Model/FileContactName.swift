/// The address of a `file` contact: a plain file name inside the reminder daemon's
/// `--file-channel-dir` — letters, digits, `.`, `_` and `-`, 1–100 characters, not starting with
/// a dot. No slash, so no path and no `..`; nothing a principal types names a file elsewhere.
public enum FileContactName {
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...100).contains(bytes.count), bytes[0] != UInt8(ascii: ".") else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E
                || b == 0x5F || b == 0x2D
        }
    }
}
