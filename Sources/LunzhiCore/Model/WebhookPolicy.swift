public import Foundation

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
        else { throw DomainError.invalid("webhook_url") }
        guard url.user == nil, url.password == nil else {
            throw DomainError.invalid("webhook_userinfo")
        }
        if let address = IPRange.parseAddress(host) {
            guard permits(address) else {
                throw DomainError(.forbidden, detail: "webhook_address", ["host": "\(host)"])
            }
        } else {
            let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            guard name.contains("."), !name.hasSuffix(".localhost"), !name.hasSuffix(".local"),
                !name.hasSuffix(".internal")
            else {
                throw DomainError(.forbidden, detail: "webhook_local_name", ["host": "\(host)"])
            }
        }
        return url
    }
}
