import Crypto
public import Foundation

/// A witness's cosignature on a checkpoint, C2SP tlog-cosignature (cosignature/v1): an Ed25519
/// signature, made at a time, over
///
/// ```
/// cosignature/v1
/// time <seconds since 1970>
/// <the checkpoint's text>
/// ```
///
/// written as a signed-note line `— <witness name> base64(key id ‖ 8-byte big-endian time ‖ signature)`,
/// the key id being SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]. Keys are encoded as the log's
/// keys are, with 0x04 in place of 0x01:
/// `PRIVATE+KEY+<name>+<id>+<base64(0x04 ‖ seed)>` and `<name>+<id>+<base64(0x04 ‖ public key)>`.
public enum Cosignature {
    public struct Signer: Sendable {
        public let name: String
        public let keyID: UInt32
        let seed: Data
        var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: seed) }

        public init(encoded: String) throws {
            let parts = encoded.trimmingCharacters(in: .whitespacesAndNewlines).split(
                separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY",
                let raw = Data(base64Encoded: String(parts[4])), raw.count == 33,
                raw.first == SignedNote.algorithmCosignatureV1,
                let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw.dropFirst())
            else { throw SignedNote.NoteError("not a cosignature/v1 witness key (PRIVATE+KEY+name+id+key)") }
            let name = String(parts[2])
            try SignedNote.checkName(name)
            self.name = name
            self.seed = key.rawRepresentation
            self.keyID = SignedNote.keyID(
                name: name, publicKey: Array(key.publicKey.rawRepresentation), algorithm: SignedNote.algorithmCosignatureV1)
            guard String(format: "%08x", keyID) == parts[3].lowercased() else {
                throw SignedNote.NoteError("the witness key's id does not match its name and key")
            }
        }

        public static func generate(name: String) throws -> (signer: String, verifier: String) {
            try SignedNote.checkName(name)
            let key = Curve25519.Signing.PrivateKey()
            let id = String(
                format: "%08x",
                SignedNote.keyID(
                    name: name, publicKey: Array(key.publicKey.rawRepresentation),
                    algorithm: SignedNote.algorithmCosignatureV1))
            let a = Data([SignedNote.algorithmCosignatureV1])
            return (
                "PRIVATE+KEY+\(name)+\(id)+\((a + key.rawRepresentation).base64EncodedString())",
                "\(name)+\(id)+\((a + key.publicKey.rawRepresentation).base64EncodedString())"
            )
        }

        /// The matching verifier key, encoded.
        public var verifierKey: String {
            let a = Data([SignedNote.algorithmCosignatureV1])
            return "\(name)+\(String(format: "%08x", keyID))+\((a + key.publicKey.rawRepresentation).base64EncodedString())"
        }

        /// The signature line for a checkpoint's text, made at `time`.
        public func cosign(_ checkpointText: String, time: UInt64) throws -> String {
            let signature = try key.signature(for: Cosignature.message(checkpointText, time: time))
            var blob = Data()
            withUnsafeBytes(of: keyID.bigEndian) { blob.append(contentsOf: $0) }
            withUnsafeBytes(of: time.bigEndian) { blob.append(contentsOf: $0) }
            blob.append(signature)
            return SignedNote.dash + name + " " + blob.base64EncodedString()
        }
    }

    public struct Verifier: Sendable, Equatable {
        public let name: String
        public let keyID: UInt32
        let publicKey: Data
        public let encoded: String

        public init(encoded: String) throws {
            let trimmed = encoded.trimmingCharacters(in: .whitespacesAndNewlines)
            let parts = trimmed.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let raw = Data(base64Encoded: String(parts[2])), raw.count == 33,
                raw.first == SignedNote.algorithmCosignatureV1,
                let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw.dropFirst())
            else { throw SignedNote.NoteError("not a cosignature/v1 witness verifier key (name+id+key)") }
            let name = String(parts[0])
            try SignedNote.checkName(name)
            let id = SignedNote.keyID(
                name: name, publicKey: Array(key.rawRepresentation), algorithm: SignedNote.algorithmCosignatureV1)
            guard String(format: "%08x", id) == parts[1].lowercased() else {
                throw SignedNote.NoteError("the witness verifier key's id does not match its name and key")
            }
            self.name = name
            self.keyID = id
            self.publicKey = key.rawRepresentation
            self.encoded = trimmed
        }

        /// The time of this witness's valid cosignature in `note`, or nil when it has none that verifies.
        public func cosignedAt(_ note: String) -> UInt64? {
            guard let split = note.range(of: "\n\n") else { return nil }
            let text = String(note[..<split.lowerBound]) + "\n"
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return nil }
            for line in note[split.upperBound...].split(separator: "\n") where line.hasPrefix(SignedNote.dash) {
                let fields = line.dropFirst(SignedNote.dash.count).split(separator: " ")
                guard fields.count == 2, fields[0] == name, let blob = Data(base64Encoded: String(fields[1])),
                    blob.count == 76, blob.prefix(4).reduce(UInt32(0), { $0 << 8 | UInt32($1) }) == keyID
                else { continue }
                let time = blob.dropFirst(4).prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                if key.isValidSignature(blob.dropFirst(12), for: Cosignature.message(text, time: time)) { return time }
            }
            return nil
        }
    }

    static func message(_ checkpointText: String, time: UInt64) -> Data {
        Data("cosignature/v1\ntime \(time)\n\(checkpointText)".utf8)
    }

    /// A note with more signature lines.
    public static func adding(_ lines: [String], to note: String) -> String {
        lines.isEmpty ? note : note + lines.map { $0 + "\n" }.joined()
    }
}
