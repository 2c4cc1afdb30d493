import Foundation
import Hummingbird
import HTTPTypes
import LunzhiCore

/// The frame of every page: header with the product, navigation by role, who is signed in, the
/// language switch and sign-out; then the page's notices and content.
enum Layout {
    enum Section: String { case queue, items, consultations, approvals, projects, rotation, contacts, admin, account }

    static func page(
        _ viewer: Viewer, title: String, section: Section, status: HTTPResponse.Status = .ok, notice: String? = nil,
        error: DomainError? = nil, _ content: HTML
    ) -> Response {
        let w = viewer.words
        var h = HTML()
        h.markup("<header class=\"top\"><div class=\"bar\"><a class=\"brand\" href=\"/\">")
        h.text(w["app.name"])
        h.markup("</a><div class=\"who\"><span class=\"name\">")
        h.text(viewer.profile.displayName.isEmpty ? viewer.caller.name : viewer.profile.displayName)
        h.markup("</span>")
        if let member = viewer.member {
            h.markup("<span class=\"member\">")
            h.text(viewer.memberName(member))
            h.markup("</span>")
        }
        if viewer.isChair { h.element("span", "class=\"badge chair\"", text: w["role.chair_today"]) }
        if viewer.isOperator { h.element("span", "class=\"badge\"", text: w["role.operator"]) }
        if viewer.isAuditor { h.element("span", "class=\"badge\"", text: w["role.auditor"]) }
        h.markup("<form method=\"post\" action=\"/language\" class=\"inline\">")
        h.append(csrfField(viewer))
        let other: Language = viewer.language == .zh ? .en : .zh
        h.markup("<input type=\"hidden\" name=\"language\" value=\"\(other.rawValue)\">")
        h.markup("<button class=\"link\" type=\"submit\" lang=\"\(other == .zh ? "zh-CN" : "en")\">")
        h.text(w["nav.switch_language"])
        h.markup("</button></form>")
        h.markup("<form method=\"post\" action=\"/signout\" class=\"inline\">")
        h.append(csrfField(viewer))
        h.markup("<button class=\"link\" type=\"submit\">")
        h.text(w["nav.sign_out"])
        h.markup("</button></form></div></div><nav aria-label=\"")
        h.text(w["nav.label"])
        h.markup("\"><ul>")
        var links: [(Section, String, String)] = []
        if viewer.isClerk { links.append((.queue, "/", "nav.queue")) }
        links += [(.items, "/items", "nav.items"), (.consultations, "/consultations", "nav.consultations")]
        links += [(.approvals, "/approvals", "nav.approvals"), (.projects, "/projects", "nav.projects")]
        links.append((.rotation, "/rotation", "nav.rotation"))
        if viewer.isOperator || viewer.isClerk { links.append((.contacts, "/admin/contacts", "nav.contacts")) }
        if viewer.isOperator { links.append((.admin, "/admin/principals", "nav.admin")) }
        links.append((.account, "/account", "nav.account"))
        for (s, href, key) in links {
            h.markup("<li><a href=\"\(href)\"\(s == section ? " aria-current=\"page\"" : "")>")
            h.text(w[key])
            h.markup("</a></li>")
        }
        h.markup("</ul></nav></header><main id=\"main\">")
        if let notice {
            h.markup("<p class=\"notice\" role=\"status\">")
            h.text(notice)
            h.markup("</p>")
        }
        if let error { h.append(errorBox(error, w)) }
        h.append(content)
        h.markup("</main>")
        return document(title: title + " · " + w["app.name"], language: viewer.language, status: status, body: h)
    }

    /// A page without the signed-in frame (sign-in, errors before sign-in).
    static func document(title: String, language: Language, status: HTTPResponse.Status = .ok, body: HTML)
        -> Response
    {
        var h = HTML(markup: "<!doctype html><html lang=\"\(language == .zh ? "zh-CN" : "en")\"><head><meta charset=\"utf-8\">")
        h.markup("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
        h.text(title)
        h.markup("</title><link rel=\"stylesheet\" href=\"/assets/site.css?v=\(Assets.version)\">")
        h.markup("<link rel=\"icon\" href=\"/assets/icon.svg\" type=\"image/svg+xml\"></head><body>")
        h.append(body)
        h.markup("</body></html>")
        var response = Response(status: status, body: .init(byteBuffer: .init(string: h.raw)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        return response
    }

    /// The refusal in the reader's language, its stable name beside it, and its detail (which
    /// names the object and its state) under it, also in the reader's language.
    static func errorBox(_ error: DomainError, _ w: Words) -> HTML {
        var h = HTML(markup: "<div class=\"error\" role=\"alert\"><p><strong>")
        h.text(w.error(error.name))
        h.markup("</strong> <code class=\"name\">")
        h.text(error.name.rawValue)
        h.markup("</code></p><p class=\"detail\">")
        h.text(w.detail(error) ?? error.message)
        h.markup("</p></div>")
        return h
    }

    /// A refusal with no session to say which language (a forged or expired form, a body over the
    /// limit, a method a route does not take): the catalogue's `key` in Chinese and in English, the
    /// stable name when there is one, and the way back.
    static func bilingual(_ status: HTTPResponse.Status, _ key: String, name: String? = nil) -> Response {
        var body = HTML(markup: "<main class=\"narrow\"><h1>\(status.code)</h1>")
        for language in [Language.zh, .en] {
            body.markup("<p lang=\"\(language == .zh ? "zh-CN" : "en")\">")
            body.text(Words(language)[key])
            body.markup("</p>")
        }
        if let name {
            body.markup("<p><code>")
            body.text(name)
            body.markup("</code></p>")
        }
        body.markup("<p><a href=\"/\">")
        body.text(Words(.zh)["nav.queue"] + " / " + Words(.en)["nav.queue"])
        body.markup("</a></p></main>")
        return document(title: "\(status.code)", language: .zh, status: status, body: body)
    }

    static func csrfField(_ viewer: Viewer) -> HTML {
        HTML(markup: "<input type=\"hidden\" name=\"_csrf\" value=\"\(HTML.attribute(viewer.csrf))\">")
    }

    /// The HTTP status of a refusal: 403 permission, 404 not found, 409 conflict, 422 validation.
    static func status(of error: DomainError) -> HTTPResponse.Status {
        switch error.category {
        case .permission: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .validation: .unprocessableContent
        }
    }

    static func redirect(_ location: String) -> Response { .redirect(to: location, type: .normal) }
}
