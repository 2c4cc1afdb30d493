import ArgumentParser
import LunzhiCore

/// `--webhook-allow-cidr`: ranges of the service's own networks that webhooks may reach after all
/// (a receiver on the management network). Shared by serve (adding contacts) and remind
/// (delivering), which must agree.
struct WebhookOptions: ParsableArguments {
    @Option(
        name: .customLong("webhook-allow-cidr"),
        help: "Comma-separated CIDR ranges webhooks may reach although loopback or private (e.g. 10.20.0.0/16).")
    var allowCIDR: String = ""

    var policy: WebhookPolicy {
        get throws {
            let parts = allowCIDR.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            return WebhookPolicy(
                allowed: try parts.map { part in
                    guard let range = IPRange(part) else {
                        throw ValidationError("--webhook-allow-cidr: \(part) is not a CIDR range such as 10.20.0.0/16")
                    }
                    return range
                })
        }
    }
}
