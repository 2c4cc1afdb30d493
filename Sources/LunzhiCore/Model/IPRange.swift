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

/// Where webhooks may go: nowhere on the service's own networks (loopback, private, link-local,
/// unique-local, multicast, unspecified, carrier-grade NAT) unless an operator allows a range
/// (`--webhook-allow-cidr`). Checked when a contact is added (literal addresses and local names)
/// and again by the reminder daemon at delivery, against every address the host resolves to.
public struct WebhookPolicy: Sendable {
    public var allowed: [IPRange]
    public init(allowed: [IPRange] = []) { self.allowed = allowed }

    public static let forbidden: [IPRange] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128",
        "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b::/96",
    ].map { IPRange($0)! }

    /// Whether `address` may be posted to; `local` are the service machine's own addresses.
    public func permits(_ address: [UInt8], local: [[UInt8]] = []) -> Bool {
        var address = address
        // IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it maps.
        if address.count == 16, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF {
            address = Array(address[12...])
        }
        if allowed.contains(where: { $0.contains(address) }) { return true }
        return !Self.forbidden.contains { $0.contains(address) } && !local.contains(address)
    }

    /// Checks a webhook URL as typed: http(s), a host, no user or password; a literal address
    /// must be permitted, and local names (`localhost`, a name without a dot) are refused.
    public func check(url text: String) throws(DomainError) -> URLComponents {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else { throw DomainError.invalid("a webhook is an http(s):// URL with a host") }
        guard url.user == nil, url.password == nil else {
            throw DomainError.invalid("a webhook URL carries no user or password; the secret signs each request")
        }
        if let address = IPRange.parseAddress(host) {
            guard permits(address) else {
                throw DomainError(
                    .forbidden, "webhooks may not go to \(host): a loopback, private or link-local address")
            }
        } else {
            let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            guard name.contains("."), !name.hasSuffix(".localhost"), !name.hasSuffix(".local"),
                !name.hasSuffix(".internal")
            else {
                throw DomainError(.forbidden, "webhooks may not go to \(host): a name of the local network")
            }
        }
        return url
    }
}
