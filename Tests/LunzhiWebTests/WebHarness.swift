import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LunzhiAudit
import LunzhiCore
import LunzhiTestSupport
import LunzhiWeb
import NIOCore
import PostgresLibPQ
import Testing

/// The web app on a fixture's database (five clerks, an operator, an auditor; GS chairs in 2026),
/// driven in-process through Hummingbird's router test client.
struct WebHarness {
    let fixture: MechanismFixture
    let client: any TestClientProtocol

    static func with(
        auditKey: SignedNote.Verifier? = nil, checkpointLog: CheckpointLog? = nil,
        _ body: @escaping @Sendable (WebHarness) async throws -> Void
    ) async throws {
        try await MechanismFixture.with { fixture in
            let web = WebApp(
                service: fixture.service, configuration: WebConfiguration(), auditKey: auditKey, checkpointLog: checkpointLog)
            let app = Application(router: web.router())
            try await app.test(.router) { client in try await body(WebHarness(fixture: fixture, client: client)) }
        }
    }

    /// A signed-in browser: its session cookie and CSRF token. The principal's passphrase is set
    /// first (the web sends a principal still on its handed-out secret to choose one).
    struct Browser: Sendable {
        var cookie: String
        var csrf: String
    }

    func browser(_ name: String) async throws -> Browser {
        let principal = try await fixture.service.principalID(named: name)
        let passphrase = "a passphrase of \(name)"
        if (try? await fixture.service.authenticate(name: name, secret: passphrase)) == nil {
            try await fixture.service.setPassphrase(by: principal, current: fixture.secrets[name]!, new: passphrase)
        }
        let session = try await fixture.service.startWebSession(name: name, secret: passphrase, from: "127.0.0.1")
        return Browser(cookie: "lunzhi_session=\(session.token)", csrf: session.csrfToken)
    }

    struct Page: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
        var location: String? { headers[.location] }
    }

    func get(_ uri: String, _ browser: Browser? = nil) async throws -> Page {
        var headers: HTTPFields = [:]
        if let browser { headers[.cookie] = browser.cookie }
        let response = try await client.execute(uri: uri, method: .get, headers: headers, body: nil)
        return Page(status: response.status, headers: response.headers, body: String(buffer: response.body))
    }

    /// Posts a form (fields encoded here; `raw` sends bytes as they are). The session's CSRF token
    /// is added unless `csrf` says otherwise.
    func post(
        _ uri: String, _ browser: Browser?, _ fields: [(String, String)] = [], csrf: String?? = .none,
        raw: [UInt8]? = nil, cookie: String? = nil
    ) async throws -> Page {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie = cookie ?? browser?.cookie { headers[.cookie] = cookie }
        var all = fields
        switch csrf {
        case .none: if let browser { all.insert(("_csrf", browser.csrf), at: 0) }
        case .some(.some(let token)): all.insert(("_csrf", token), at: 0)
        case .some(.none): break
        }
        let bytes = raw ?? Array(Self.encode(all).utf8)
        let response = try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
        return Page(status: response.status, headers: response.headers, body: String(buffer: response.body))
    }

    static func encode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map {
            "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
    }

    func counts() async throws -> [String: Int] { try await fixture.counts() }
}
