import AsyncHTTPClient
import Crypto
import Foundation
import LunzhiCore
public import NIOCore
import NIOHTTP1

/// Webhooks: an HTTP(S) POST of the reminder's JSON, signed.
///
/// Headers: `Idempotency-Key` (the reminder's key), `X-Lunzhi-Timestamp` (Unix seconds) and
/// `X-Lunzhi-Signature: v1=<hex>`, the HMAC-SHA256 of `timestamp + "." + body` under the
/// contact's secret. 2xx is delivered; 429, 5xx, timeouts and connection errors are retried;
/// any other status is permanent (the reminder goes dead). docs/reminders.md shows a receiver.
public struct WebhookChannel: ReminderChannel {
    public let kind = "webhook"
    public let timeout: TimeAmount

    public init(timeout: TimeAmount = .seconds(10)) { self.timeout = timeout }

    public func deliver(_ reminder: ClaimedReminder, message: ReminderMessage, address: String, secret: String?) async
        -> DeliveryResult
    {
        guard let secret, !secret.isEmpty else { return .permanent("webhook contact has no secret") }
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signature = Self.signature(secret: secret, timestamp: timestamp, body: message.json)
        var request = HTTPClientRequest(url: address)
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
}
