public import Foundation

/// A block of IPv4 or IPv6 addresses in CIDR notation (`10.0.0.0/8`, `fc00::/7`).
public struct IPRange: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let network: [UInt8]
    public let prefix: Int

    /// Parses `address/prefix` (a bare address is a /32 or /128). Nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let bytes = IPRange.parseAddress(String(first)) else { return nil }
        let bits = bytes.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : bits
        guard let prefix, (0...bits).contains(prefix) else { return nil }
        self.network = IPRange.masked(bytes, prefix)
        self.prefix = prefix
    }

    public func contains(_ address: [UInt8]) -> Bool {
        address.count == network.count && IPRange.masked(address, prefix) == network
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: 64)
        let family = network.count == 4 ? AF_INET : AF_INET6
        _ = network.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, 64) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/\(prefix)"
    }

    /// The bytes of a literal IPv4 (as `inet_aton` reads it: also `127.1`, `0x7f.0.0.1`) or IPv6
    /// address (brackets allowed); nil for anything else, such as a host name.
    public static func parseAddress(_ text: String) -> [UInt8]? {
        var host = text
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        var v4 = in_addr()
        if inet_aton(host, &v4) != 0 { return withUnsafeBytes(of: &v4) { Array($0) } }
        return nil
    }

    static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let keep = max(0, min(8, prefix - index * 8))
            return keep == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
    }
}
