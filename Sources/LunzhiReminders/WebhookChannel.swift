import AsyncHTTPClient
import Crypto
import Foundation
public import LunzhiCore
public import NIOCore
import NIOHTTP1

/// Webhooks: an HTTP(S) POST of the reminder's JSON, signed.
///
/// Headers: `Idempotency-Key` (the reminder's key), `X-Lunzhi-Timestamp` (Unix seconds) and
/// `X-Lunzhi-Signature: v1=<hex>`, the HMAC-SHA256 of `timestamp + "." + body` under the
/// contact's secret. 2xx is delivered; 429, 5xx, timeouts and connection errors are retried;
/// any other status is permanent (the reminder goes dead). docs/reminders.md shows a receiver.
///
/// Before each delivery the host is resolved and **every** address it resolves to is checked
/// against the `WebhookPolicy` and the machine's own interface addresses; one forbidden address
/// fails the delivery (permanent). A plain-HTTP request is then sent to the checked address itself
/// (the URL's host kept in the Host header), so the address connected is the address checked. An
/// HTTPS request is sent by name, and its certificate must be valid for that name: a name that is
/// re-pointed at an internal service between the check and the connection (DNS rebinding) meets
/// that service's own certificate, which does not match, and the request fails.
public struct WebhookChannel: ReminderChannel {
    public let kind = "webhook"
    public let timeout: TimeAmount
    public let policy: WebhookPolicy

    public init(timeout: TimeAmount = .seconds(10), policy: WebhookPolicy = WebhookPolicy()) {
        self.timeout = timeout
        self.policy = policy
    }

    public func deliver(_ reminder: ClaimedReminder, message: ReminderMessage, address: String, secret: String?) async
        -> DeliveryResult
    {
        guard let secret, !secret.isEmpty else { return .permanent("webhook contact has no secret") }
        let target: URLComponents
        do {
            target = try policy.check(url: address)
        } catch {
            return .permanent(error.message)
        }
        let host = target.host ?? ""
        let resolved = await offCooperativePool { Self.resolve(host) }
        guard !resolved.isEmpty else { return .retry("cannot resolve \(host)") }
        let local = await offCooperativePool { Self.localAddresses() }
        if let bad = resolved.first(where: { !policy.permits($0, local: local) }) {
            return .permanent(
                "webhook host \(host) resolves to \(IPRange.parseAddress(host) == nil ? "a forbidden address " : "")\(Self.text(bad)), which webhooks may not reach"
            )
        }
        var url = address
        var hostHeader: String?
        if target.scheme?.lowercased() == "http", IPRange.parseAddress(host) == nil {
            var pinned = target
            let literal = Self.text(resolved[0])
            pinned.host = resolved[0].count == 16 ? "[\(literal)]" : literal
            if let text = pinned.string {
                url = text
                hostHeader = target.port.map { "\(host):\($0)" } ?? host
            }
        }
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signature = Self.signature(secret: secret, timestamp: timestamp, body: message.json)
        var request = HTTPClientRequest(url: url)
        if let hostHeader { request.headers.replaceOrAdd(name: "Host", value: hostHeader) }
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "lunzhi-reminders")
        request.headers.add(name: "Idempotency-Key", value: reminder.idempotencyKey)
        request.headers.add(name: "X-Lunzhi-Timestamp", value: timestamp)
        request.headers.add(name: "X-Lunzhi-Signature", value: "v1=\(signature)")
        request.body = .bytes(ByteBuffer(string: message.json))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let code = Int(response.status.code)
            switch code {
            case 200..<300: return .delivered
            case 429, 500..<600: return .retry("HTTP \(code)")
            default: return .permanent("HTTP \(code)")
            }
        } catch {
            return .retry("\(error)".prefix(300).description)
        }
    }

    /// Hex HMAC-SHA256 of `timestamp.body`.
    public static func signature(secret: String, timestamp: String, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data((timestamp + "." + body).utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Hex.encode(mac)
    }

    /// Every address `host` resolves to (a literal resolves to itself).
    static func resolve(_ host: String) -> [[UInt8]] {
        if let literal = IPRange.parseAddress(host) { return [literal] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [[UInt8]] = []
        var entry = list
        while let info = entry?.pointee {
            if let raw = info.ai_addr { addresses.append(contentsOf: Self.bytes(raw)) }
            entry = info.ai_next
        }
        return addresses
    }

    /// The addresses of this machine's interfaces: webhooks never go to the service itself.
    static func localAddresses() -> [[UInt8]] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var addresses: [[UInt8]] = []
        var entry = list
        while let interface = entry?.pointee {
            if let raw = interface.ifa_addr { addresses.append(contentsOf: Self.bytes(raw)) }
            entry = interface.ifa_next
        }
        return addresses
    }

    private static func bytes(_ raw: UnsafeMutablePointer<sockaddr>) -> [[UInt8]] {
        switch Int32(raw.pointee.sa_family) {
        case AF_INET:
            return [raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) }
            }]
        case AF_INET6:
            return [raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
            }]
        default: return []
        }
    }

    static func text(_ address: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = address.withUnsafeBytes { inet_ntop(address.count == 4 ? AF_INET : AF_INET6, $0.baseAddress, &buffer, 64) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
