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
            let parsed = try SignedNote.parseSigner(
                encoded, algorithm: SignedNote.algorithmCosignatureV1, what: "a cosignature/v1 witness key")
            (name, keyID, seed) = (parsed.name, parsed.keyID, parsed.key.rawRepresentation)
        }

        public static func generate(name: String) throws -> (signer: String, verifier: String) {
            try SignedNote.generateKeys(name: name, algorithm: SignedNote.algorithmCosignatureV1)
        }

        /// The matching verifier key, encoded.
        public var verifierKey: String {
            SignedNote.encodeVerifier(
                name: name, keyID: keyID, publicKey: key.publicKey, algorithm: SignedNote.algorithmCosignatureV1)
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
            let parsed = try SignedNote.parseVerifier(
                encoded, algorithm: SignedNote.algorithmCosignatureV1, what: "a cosignature/v1 witness verifier key")
            (name, keyID, publicKey, self.encoded) =
                (parsed.name, parsed.keyID, parsed.key.rawRepresentation, parsed.trimmed)
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
