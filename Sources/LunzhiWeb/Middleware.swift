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
            let key = "http.\(error.status.code)"
            response = Layout.bilingual(error.status, Catalogue.entries[key] == nil ? "http.other" : key)
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
