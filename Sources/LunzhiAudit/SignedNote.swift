import Crypto
import Foundation

/// Ed25519 keys and signatures in the C2SP signed-note format (https://c2sp.org/signed-note), the
/// format of Go's golang.org/x/mod/sumdb/note, Sigsum and transparency-log witnesses:
///
/// - signer key:   `PRIVATE+KEY+<name>+<key id, 8 hex>+<base64(0x01 ‖ 32-byte seed)>`
/// - verifier key: `<name>+<key id, 8 hex>+<base64(0x01 ‖ 32-byte public key)>`
/// - key id: the first 4 bytes (big-endian) of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)
/// - a note: its text (non-empty lines, each ending in "\n"), an empty line, then one line per
///   signature: `— <name> <base64(key id ‖ 64-byte Ed25519 signature of the text)>`.
public enum SignedNote {
    public struct NoteError: Error, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    static let algorithmEd25519: UInt8 = 0x01
    /// C2SP tlog-cosignature's cosignature/v1 (timestamped Ed25519): its key id uses this byte.
    static let algorithmCosignatureV1: UInt8 = 0x04
    static let dash = "\u{2014} "

    public struct Signer: Sendable {
        public let name: String
        public let keyID: UInt32
        /// The 32-byte seed (keys from swift-crypto are not Sendable, so the bytes are kept).
        let seed: Data
        var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: seed) }

        /// Parses a signer key (the contents of a key file, surrounding whitespace ignored).
        public init(encoded: String) throws {
            let parsed = try SignedNote.parseSigner(encoded, algorithm: algorithmEd25519, what: "an Ed25519 signer key")
            (name, keyID, seed) = (parsed.name, parsed.keyID, parsed.key.rawRepresentation)
        }

        /// A new key pair: the signer key and the verifier key, encoded.
        public static func generate(name: String) throws -> (signer: String, verifier: String) {
            try SignedNote.generateKeys(name: name, algorithm: algorithmEd25519)
        }

        /// The matching verifier key, encoded.
        public var verifierKey: String {
            SignedNote.encodeVerifier(name: name, keyID: keyID, publicKey: key.publicKey, algorithm: algorithmEd25519)
        }

        public var verifier: Verifier { try! Verifier(encoded: verifierKey) }
    }

    public struct Verifier: Sendable {
        public let name: String
        public let keyID: UInt32
        let publicKey: Data
        var key: Curve25519.Signing.PublicKey { try! Curve25519.Signing.PublicKey(rawRepresentation: publicKey) }
        public let encoded: String

        public init(encoded: String) throws {
            let parsed = try SignedNote.parseVerifier(encoded, algorithm: algorithmEd25519, what: "an Ed25519 verifier key")
            (name, keyID, publicKey, self.encoded) =
                (parsed.name, parsed.keyID, parsed.key.rawRepresentation, parsed.trimmed)
        }
    }

    // Keys of both kinds (the log's, 0x01; witnesses' cosignature/v1, 0x04) share one encoding.

    static func parseSigner(_ encoded: String, algorithm: UInt8, what: String) throws
        -> (name: String, keyID: UInt32, key: Curve25519.Signing.PrivateKey)
    {
        // Base64 may contain '+': split off the first four fields only.
        let parts = encoded.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY",
            let raw = Data(base64Encoded: String(parts[4])), raw.count == 33, raw.first == algorithm,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw.dropFirst())
        else { throw NoteError("not \(what) (PRIVATE+KEY+name+id+key)") }
        let name = String(parts[2])
        try checkName(name)
        let id = keyID(name: name, publicKey: Array(key.publicKey.rawRepresentation), algorithm: algorithm)
        guard String(format: "%08x", id) == parts[3].lowercased() else {
            throw NoteError("the key's id does not match its name and key")
        }
        return (name, id, key)
    }

    static func parseVerifier(_ encoded: String, algorithm: UInt8, what: String) throws
        -> (name: String, keyID: UInt32, key: Curve25519.Signing.PublicKey, trimmed: String)
    {
        let trimmed = encoded.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let raw = Data(base64Encoded: String(parts[2])), raw.count == 33,
            raw.first == algorithm, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw.dropFirst())
        else { throw NoteError("not \(what) (name+id+key)") }
        let name = String(parts[0])
        try checkName(name)
        let id = keyID(name: name, publicKey: Array(key.rawRepresentation), algorithm: algorithm)
        guard String(format: "%08x", id) == parts[1].lowercased() else {
            throw NoteError("the verifier key's id does not match its name and key")
        }
        return (name, id, key, trimmed)
    }

    static func generateKeys(name: String, algorithm: UInt8) throws -> (signer: String, verifier: String) {
        try checkName(name)
        let key = Curve25519.Signing.PrivateKey()
        let id = keyID(name: name, publicKey: Array(key.publicKey.rawRepresentation), algorithm: algorithm)
        let seed = Data([algorithm]) + key.rawRepresentation
        return (
            "PRIVATE+KEY+\(name)+\(String(format: "%08x", id))+\(seed.base64EncodedString())",
            encodeVerifier(name: name, keyID: id, publicKey: key.publicKey, algorithm: algorithm)
        )
    }

    static func encodeVerifier(name: String, keyID: UInt32, publicKey: Curve25519.Signing.PublicKey, algorithm: UInt8)
        -> String
    {
        "\(name)+\(String(format: "%08x", keyID))+\((Data([algorithm]) + publicKey.rawRepresentation).base64EncodedString())"
    }

    static func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.contains(where: { $0 == "+" || $0.isWhitespace || $0.isNewline }) else {
            throw NoteError("a key name must be non-empty, without spaces or '+'")
        }
    }

    static func keyID(name: String, publicKey: [UInt8], algorithm: UInt8 = algorithmEd25519) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8) + [0x0A, algorithm] + publicKey)
        let digest = Array(hasher.finalize())
        return digest[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Signs `text` (non-empty lines, ending in a newline) and returns the note.
    public static func sign(_ text: String, with signer: Signer) throws -> String {
        try checkText(text)
        let signature = try signer.key.signature(for: Data(text.utf8))
        var blob = Data()
        withUnsafeBytes(of: signer.keyID.bigEndian) { blob.append(contentsOf: $0) }
        blob.append(signature)
        return text + "\n" + dash + signer.name + " " + blob.base64EncodedString() + "\n"
    }

    /// Checks a note's signature by `verifier` and returns its text. Signatures by other keys are
    /// ignored, as the format intends; a note with no signature by `verifier` is refused.
    public static func open(_ note: String, verifier: Verifier) throws -> String {
        guard let split = note.range(of: "\n\n") else { throw NoteError("malformed note: no signature block") }
        let text = String(note[..<split.lowerBound]) + "\n"
        try checkText(text)
        let signatureLines = note[split.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
        var sawOurName = false
        for line in signatureLines where !line.isEmpty {
            guard line.hasPrefix(dash) else { throw NoteError("malformed signature line") }
            let fields = line.dropFirst(dash.count).split(separator: " ")
            // Other signers' lines (witnesses' cosignatures are 76 bytes) are skipped, not parsed.
            guard fields.count == 2, let blob = Data(base64Encoded: String(fields[1])), blob.count >= 4 else {
                throw NoteError("malformed signature line")
            }
            let id = blob.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard fields[0] == verifier.name, id == verifier.keyID else {
                if fields[0] == verifier.name { sawOurName = true }
                continue
            }
            guard blob.count == 68 else { throw NoteError("malformed signature line") }
            guard verifier.key.isValidSignature(blob.dropFirst(4), for: Data(text.utf8)) else {
                throw NoteError("the signature by \(verifier.name) does not verify")
            }
            return text
        }
        throw NoteError(
            sawOurName
                ? "signed with another key named \(verifier.name), not \(verifier.encoded)"
                : "not signed by \(verifier.name)")
    }

    static func checkText(_ text: String) throws {
        guard text.hasSuffix("\n"), !text.contains("\n\n"), !text.hasPrefix("\n") else {
            throw NoteError("a note's text is non-empty lines, each ending in a newline")
        }
    }
}
