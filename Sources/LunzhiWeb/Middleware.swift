import Foundation
import Hummingbird
import HTTPTypes
import LunzhiCore

/// Headers on every response, errors included: a strict CSP (no inline script or style), no
/// framing, no sniffing, no referrer outside the site; HSTS under TLS.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let tls: Bool

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response)
        async throws -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = Self.page(error.status)
        }
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if tls { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }

    /// A refusal made below the routes (a body over the limit, a method the route does not take):
    /// its status with the catalogue's words in both languages, since no session says which.
    static func page(_ status: HTTPResponse.Status) -> Response {
        let key = "http.\(status.code)"
        var body = HTML(markup: "<main class=\"narrow\"><h1>\(status.code)</h1>")
        for language in [Language.zh, .en] {
            let w = Words(language)
            body.markup("<p lang=\"\(language == .zh ? "zh-CN" : "en")\">")
            body.text(Catalogue.entries[key] == nil ? w["http.other"] + " (\(status.code))" : w[key])
            body.markup("</p>")
        }
        body.markup("<p><a href=\"/\">")
        body.text(Words(.zh)["nav.queue"] + " / " + Words(.en)["nav.queue"])
        body.markup("</a></p></main>")
        return Layout.document(title: "\(status.code)", language: .zh, status: status, body: body)
    }
}

/// Reads the session cookie and finds its live session in PostgreSQL. Oversized bodies are
/// refused here by their Content-Length, before anything reads them.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let service: Cooperation

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response)
        async throws -> Response
    {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > WebLimits.maximumBody {
            throw HTTPError(.contentTooLarge)
        }
        var context = context
        if let token = request.cookies[WebCookies.session]?.value {
            context.session = try await service.webSession(token: token)
        }
        return try await next(request, context)
    }
}

enum WebCookies {
    static let session = "lunzhi_session"
    /// The sign-in form's own CSRF token (double submit: cookie and field must match).
    static let signIn = "lunzhi_signin"
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
