/// bcrypt (Provos and Mazières, 1999), as OpenBSD and PostgreSQL's pgcrypto compute it: the
/// `$2a$`/`$2b$` forms, a 16-byte salt, the secret's bytes and a NUL (72 bytes at most).
///
/// Secrets are hashed and compared here, in the service, so they never travel to PostgreSQL as
/// statement parameters (where `log_statement`, `log_min_duration_statement` or a failing row's
/// detail would write them to the server's log). Hashes made earlier by pgcrypto's `crypt()`
/// verify unchanged.
public enum BCrypt {
    /// The costs accepted: 2^4 to 2^31 rounds of the expensive key schedule.
    public static let costs = 4...31

    /// A new hash of `secret` with a random salt at `cost`.
    public static func hash(_ secret: String, cost: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return hash(secret, cost: cost, salt: salt)
    }

    /// The hash of `secret` with a given 16-byte salt (`$2a$NN$` + 22 + 31 characters).
    static func hash(_ secret: String, cost: Int, salt: [UInt8], prefix: String = "2a") -> String {
        precondition(salt.count == 16 && costs.contains(cost))
        let digest = raw(secret: Array(secret.utf8), cost: cost, salt: salt)
        let costText = cost < 10 ? "0\(cost)" : "\(cost)"
        return "$\(prefix)$\(costText)$" + encode(salt, count: 22) + encode(Array(digest.prefix(23)), count: 31)
    }

    /// Whether `secret` matches `hash`, compared in constant time. False for a malformed hash.
    public static func verify(_ secret: String, hash: String) -> Bool {
        guard let parsed = parse(hash) else { return false }
        let candidate = Self.hash(secret, cost: parsed.cost, salt: parsed.salt, prefix: parsed.prefix)
        let a = Array(candidate.utf8)
        let b = Array(hash.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// The cost a hash was made with, or nil when it is not a bcrypt hash.
    public static func cost(of hash: String) -> Int? { parse(hash)?.cost }

    private static func parse(_ hash: String) -> (prefix: String, cost: Int, salt: [UInt8])? {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == 0x24, bytes[3] == 0x24, bytes[6] == 0x24, bytes[1] == 0x32,
            bytes[2] == 0x61 || bytes[2] == 0x62 || bytes[2] == 0x79,
            let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), costs.contains(cost),
            let salt = decode(bytes[7..<29], count: 16), decode(bytes[29..<60], count: 23) != nil
        else { return nil }
        return (String(decoding: bytes[1..<3], as: UTF8.self), cost, salt)
    }

    // MARK: - The algorithm

    /// EksBlowfish: the expensive key schedule, then "OrpheanBeholderScryDoubt" encrypted 64 times.
    static func raw(secret: [UInt8], cost: Int, salt: [UInt8]) -> [UInt8] {
        var key = Array(secret.prefix(72))
        if key.count < 72 { key.append(0) }
        // The state lives in one buffer (18 P words, then 4 × 256 S words) used through a pointer:
        // the 2^cost rounds run without copy-on-write or bounds checks, which matters in debug
        // builds (the tests'), where arrays made a cost-10 hash take seconds.
        let state = UnsafeMutablePointer<UInt32>.allocate(capacity: 18 + 1024)
        defer { state.deallocate() }
        BlowfishTables.p.withUnsafeBufferPointer { state.initialize(from: $0.baseAddress!, count: 18) }
        BlowfishTables.s.withUnsafeBufferPointer { (state + 18).initialize(from: $0.baseAddress!, count: 1024) }
        let blowfish = Blowfish(p: state, s: state + 18)
        blowfish.expand(key: key, salt: salt)
        let rounds = 1 << cost
        for _ in 0..<rounds {
            blowfish.expand(key: key, salt: nil)
            blowfish.expand(key: salt, salt: nil)
        }
        var text: [UInt32] = [0x4F72_7068, 0x6561_6E42, 0x6568_6F6C, 0x6465_7253, 0x6372_7944, 0x6F75_6274]
        for _ in 0..<64 {
            for i in stride(from: 0, to: 6, by: 2) {
                (text[i], text[i + 1]) = blowfish.encrypt(text[i], text[i + 1])
            }
        }
        return text.flatMap { [UInt8($0 >> 24), UInt8($0 >> 16 & 0xFF), UInt8($0 >> 8 & 0xFF), UInt8($0 & 0xFF)] }
    }

    /// Blowfish over a state buffer owned by `raw` (P: 18 words; S: S0…S3, 256 words each).
    struct Blowfish {
        let p: UnsafeMutablePointer<UInt32>
        let s: UnsafeMutablePointer<UInt32>

        @inline(__always)
        func f(_ x: UInt32) -> UInt32 {
            let a = s[Int(x >> 24)]
            let b = s[256 + Int(x >> 16 & 0xFF)]
            let c = s[512 + Int(x >> 8 & 0xFF)]
            let d = s[768 + Int(x & 0xFF)]
            return ((a &+ b) ^ c) &+ d
        }

        @inline(__always)
        func encrypt(_ left: UInt32, _ right: UInt32) -> (UInt32, UInt32) {
            var l = left ^ p[0]
            var r = right
            var i = 1
            while i < 17 {
                r ^= f(l) ^ p[i]
                l ^= f(r) ^ p[i + 1]
                i += 2
            }
            return (r ^ p[17], l)
        }

        /// Blowfish_expandstate (with a salt) or Blowfish_expand0state (without): the key, taken
        /// cyclically, XORed into P; then P and S replaced by successive encryptions, each input
        /// XORed with the next salt words.
        func expand(key: [UInt8], salt: [UInt8]?) {
            key.withUnsafeBufferPointer { key in
                var keyIndex = 0
                for i in 0..<18 { p[i] ^= Self.word(key, &keyIndex) }
            }
            var l: UInt32 = 0
            var r: UInt32 = 0
            if let salt {
                salt.withUnsafeBufferPointer { salt in
                    var saltIndex = 0
                    for i in stride(from: 0, to: 18, by: 2) {
                        l ^= Self.word(salt, &saltIndex)
                        r ^= Self.word(salt, &saltIndex)
                        (l, r) = encrypt(l, r)
                        p[i] = l
                        p[i + 1] = r
                    }
                    for i in stride(from: 0, to: 1024, by: 2) {
                        l ^= Self.word(salt, &saltIndex)
                        r ^= Self.word(salt, &saltIndex)
                        (l, r) = encrypt(l, r)
                        s[i] = l
                        s[i + 1] = r
                    }
                }
            } else {
                for i in stride(from: 0, to: 18, by: 2) {
                    (l, r) = encrypt(l, r)
                    p[i] = l
                    p[i + 1] = r
                }
                for i in stride(from: 0, to: 1024, by: 2) {
                    (l, r) = encrypt(l, r)
                    s[i] = l
                    s[i + 1] = r
                }
            }
        }

        @inline(__always)
        static func word(_ data: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                value = value << 8 | UInt32(data[index])
                index += 1
                if index == data.count { index = 0 }
            }
            return value
        }
    }

    // MARK: - bcrypt's base64 ("./A–Za–z0–9", no padding)

    private static let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    static func encode(_ data: [UInt8], count: Int) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            let c1 = Int(data[i])
            out.append(alphabet[c1 >> 2])
            var bits = (c1 & 0x03) << 4
            i += 1
            guard i < data.count else {
                out.append(alphabet[bits])
                break
            }
            let c2 = Int(data[i])
            out.append(alphabet[bits | c2 >> 4])
            bits = (c2 & 0x0F) << 2
            i += 1
            guard i < data.count else {
                out.append(alphabet[bits])
                break
            }
            let c3 = Int(data[i])
            out.append(alphabet[bits | c3 >> 6])
            out.append(alphabet[c3 & 0x3F])
            i += 1
        }
        return String(decoding: out.prefix(count), as: UTF8.self)
    }

    static func decode(_ text: ArraySlice<UInt8>, count: Int) -> [UInt8]? {
        var sextets: [UInt8] = []
        for c in text {
            let v = values[Int(c)]
            guard v >= 0 else { return nil }
            sextets.append(UInt8(v))
        }
        var out: [UInt8] = []
        var i = 0
        while out.count < count, i + 1 < sextets.count {
            out.append(sextets[i] << 2 | sextets[i + 1] >> 4)
            if out.count < count, i + 2 < sextets.count { out.append(sextets[i + 1] << 4 | sextets[i + 2] >> 2) }
            if out.count < count, i + 3 < sextets.count { out.append(sextets[i + 2] << 6 | sextets[i + 3]) }
            i += 4
        }
        return out.count == count ? out : nil
    }
}
