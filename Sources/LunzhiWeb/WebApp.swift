public import Hummingbird
public import ServiceLifecycle
public import LunzhiCore
public import Logging
import Foundation
import HTTPTypes
import NIOCore
public import LunzhiOperations
public import LunzhiAudit
import HummingbirdCore

/// The web workspace's settings (`lunzhi serve --web-…`, docs/web.md).
public struct WebConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Whether the browser reaches it over TLS (Secure cookies, HSTS).
    public var tls: Bool

    public init(host: String = "127.0.0.1", port: Int = 7780, tls: Bool = false) {
        self.host = host
        self.port = port
        self.tls = tls
    }
}

/// The web workspace: routes registered here, one file per area under Routes/. A route reads
/// the request (Form, query), calls the same `Cooperation` function as the console command that
/// does the same thing, and renders a page or redirects.
public struct WebApp: Sendable {
    let service: Cooperation
    let configuration: WebConfiguration
    /// The audit log's use cases (proofs), with the checkpoint key `serve --audit-key` names.
    let auditDesk: AuditDesk

    public init(
        service: Cooperation, configuration: WebConfiguration, auditKey: SignedNote.Verifier? = nil,
        checkpointLog: CheckpointLog? = nil
    ) {
        self.service = service
        self.configuration = configuration
        self.auditDesk = AuditDesk(service: service, key: auditKey, checkpointLog: checkpointLog)
    }

    public func router() -> Router<WebContext> {
        let router = Router(context: WebContext.self)
        router.add(middleware: SecurityHeadersMiddleware(tls: configuration.tls))
        router.add(middleware: SessionMiddleware(service: service))
        router.get("/assets/site.css") { _, _ in Assets.css() }
        router.get("/assets/icon.svg") { _, _ in Assets.icon() }
        router.get("/favicon.ico") { _, _ in Assets.icon() }
        router.get("/healthz") { _, _ in Response(status: .ok, body: .init(byteBuffer: .init(string: "ok\n"))) }
        AccountRoutes(web: self).register(router)
        QueueRoutes(web: self).register(router)
        ItemRoutes(web: self).register(router)
        ConsultationRoutes(web: self).register(router)
        ApprovalRoutes(web: self).register(router)
        ProjectRoutes(web: self).register(router)
        RotationRoutes(web: self).register(router)
        AdminRoutes(web: self).register(router)
        AuditRoutes(web: self).register(router)
        return router
    }

    /// The HTTP service for the ServiceGroup; with `tls` HTTPS, its certificate reloadable.
    public func application(
        logger: Logger, tls: ServerTLS? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some Service {
        Application(
            router: router(), server: tls.map { .reloadingTLS($0) } ?? .http1(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    // MARK: The two shapes of a route

    /// A page for a signed-in principal; anyone else goes to sign in. A refusal from the
    /// service (say NOT_FOUND) is shown as a page with its status.
    func page(
        _ request: Request, _ context: WebContext, _ body: (Viewer) async throws -> Response
    ) async throws -> Response {
        guard let session = context.session else { return Layout.redirect("/signin") }
        if session.mustChoosePassphrase && request.uri.path != "/account" { return Layout.redirect("/account") }
        let viewer: Viewer
        do {
            viewer = try await Viewer.load(session, service)
        } catch let error as DomainError where error.name == .authFailed {
            return Layout.redirect("/signin")
        }
        do {
            return try await body(viewer)
        } catch let error as DomainError {
            return Layout.page(
                viewer, title: viewer.words.error(error.name), section: .queue, status: Layout.status(of: error),
                error: error, HTML())
        }
    }

    /// A form post by a signed-in principal: the CSRF token is checked before anything else
    /// (403, nothing read further, nothing changed); then `act` runs; a refusal is rendered by
    /// `refused` (the form again, with the error inline and the status of the refusal).
    func post(
        _ request: Request, _ context: WebContext,
        act: (Viewer, Form) async throws -> Response,
        refused: (Viewer, Form, DomainError) async throws -> Response
    ) async throws -> Response {
        guard let session = context.session else { return forbidden("NO_SESSION") }
        let form: Form
        do {
            form = try await Form.read(request, context)
        } catch let error as DomainError {
            // Undecodable bodies are refused before the token can be read from them.
            guard let viewer = try? await Viewer.load(session, service) else { return forbidden("NO_SESSION") }
            return Layout.page(viewer, title: viewer.words.error(error.name), section: .queue, status: .badRequest,
                               error: error, HTML())
        }
        guard let token = form["_csrf"], Self.constantTimeEqual(token, session.csrfToken) else {
            return forbidden("CSRF")
        }
        let viewer: Viewer
        do {
            viewer = try await Viewer.load(session, service)
        } catch let error as DomainError where error.name == .authFailed {
            return Layout.redirect("/signin")
        }
        if session.mustChoosePassphrase && request.uri.path != "/account/passphrase"
            && request.uri.path != "/language"
        {
            return Layout.redirect("/account")
        }
        do {
            return try await act(viewer, form)
        } catch let error as DomainError {
            do {
                return try await refused(viewer, form, error)
            } catch is DomainError {
                // The page to show the refusal on is gone too (no such item): the refusal alone.
                return Layout.page(
                    viewer, title: viewer.words.error(error.name), section: .queue, status: Layout.status(of: error),
                    error: error, HTML())
            }
        }
    }

    func forbidden(_ name: String) -> Response { Layout.bilingual(.forbidden, "error.csrf", name: name) }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// The page's id from the path, or a NOT_FOUND refusal.
    static func id(_ context: WebContext) throws -> Int {
        guard let text = context.parameters.get("id"), let id = Int(text), id > 0 else {
            throw DomainError(.notFound, detail: "no_page")
        }
        return id
    }
}
