import Foundation
import Hummingbird
import HTTPTypes
import LunzhiCore

/// Sign-in, sign-out, one's passphrase and language.
struct AccountRoutes {
    let web: WebApp
    var service: Cooperation { web.service }

    func register(_ router: Router<WebContext>) {
        router.get("/signin") { request, context in signInPage(request, context) }
        router.post("/signin") { request, context in try await signIn(request, context) }
        router.post("/signout") { request, context in
            try await web.post(request, context) { viewer, _ in
                try await service.endWebSession(token: viewer.session.token)
                var response = Layout.redirect("/signin")
                response.setCookie(sessionCookie("", maxAge: 0))
                return response
            } refused: { _, _, _ in Layout.redirect("/signin") }
        }
        router.get("/account") { request, context in
            try await web.page(request, context) { viewer in accountPage(viewer) }
        }
        router.post("/account/passphrase") { request, context in
            try await web.post(request, context) { viewer, form in
                guard form["new"] == form["repeat"] else {
                    throw DomainError(.invalidArgument, detail: "passphrases_differ")
                }
                let keep = try await service.webSessionKey(token: viewer.session.token)
                try await service.setPassphrase(
                    by: viewer.principal, current: form["current"] ?? "", new: form["new"] ?? "", keepSession: keep)
                return Layout.redirect("/?done=passphrase")
            } refused: { viewer, _, error in
                accountPage(viewer, error: error, status: Layout.status(of: error))
            }
        }
        router.post("/language") { request, context in
            try await web.post(request, context) { viewer, form in
                try await service.setLanguage(by: viewer.principal, try form.choice("language", Language.self))
                let back = request.headers[.referer].flatMap { URL(string: $0)?.path } ?? "/"
                return Layout.redirect(back.hasPrefix("/") && !back.hasPrefix("//") ? back : "/")
            } refused: { viewer, _, error in
                accountPage(viewer, error: error, status: Layout.status(of: error))
            }
        }
    }

    func sessionCookie(_ value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(
            name: WebCookies.session, value: value, maxAge: maxAge, path: "/", secure: web.configuration.tls,
            httpOnly: true, sameSite: .strict)
    }

    func signInPage(
        _ request: Request, _ context: WebContext, error: DomainError? = nil, name: String = "",
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let language: Language = request.query("lang") == "en" ? .en : .zh
        let w = Words(language)
        // The sign-in form's CSRF token: a cookie and the same value in the form.
        let token = request.cookies[WebCookies.signIn]?.value.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        let preToken = (token?.count == 43 ? token : nil) ?? Cooperation.randomToken()
        var h = HTML(markup: "<main class=\"signin\"><div class=\"card\"><h1>")
        h.text(w["app.name"])
        h.markup("</h1><p class=\"lede\">")
        h.text(w["signin.lede"])
        h.markup("</p>")
        if let error { h.append(Layout.errorBox(error, w)) }
        h.markup("<form method=\"post\" action=\"/signin\" class=\"stack\">")
        h.markup("<input type=\"hidden\" name=\"_csrf\" value=\"\(preToken)\">")
        h.markup("<input type=\"hidden\" name=\"lang\" value=\"\(language.rawValue)\">")
        h.append(UI.field(w["signin.name"], name: "name", value: name, required: true, attributes: "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\""))
        h.append(UI.field(w["signin.secret"], name: "secret", type: "password", required: true, attributes: "autocomplete=\"current-password\""))
        h.append(UI.submit(w["signin.submit"]))
        h.markup("</form><p class=\"switch\"><a href=\"/signin?lang=\(language == .zh ? "en" : "zh")\" lang=\"\(language == .zh ? "en" : "zh-CN")\">")
        h.text(w["nav.switch_language"])
        h.markup("</a></p></div></main>")
        var response = Layout.document(title: w["signin.title"] + " · " + w["app.name"], language: language, status: status, body: h)
        response.setCookie(
            Cookie(name: WebCookies.signIn, value: preToken, path: "/signin", secure: web.configuration.tls,
                   httpOnly: true, sameSite: .strict))
        return response
    }

    func signIn(_ request: Request, _ context: WebContext) async throws -> Response {
        let form: Form
        do {
            form = try await Form.read(request, context)
        } catch let error as DomainError {
            return signInPage(request, context, error: error, status: .badRequest)
        }
        guard let cookie = request.cookies[WebCookies.signIn]?.value, let field = form["_csrf"],
            WebApp.constantTimeEqual(cookie, field)
        else { return web.forbidden("CSRF") }
        do {
            let session = try await service.startWebSession(
                name: form["name"] ?? "", secret: form["secret"] ?? "", from: context.peer)
            var response = Layout.redirect(session.mustChoosePassphrase ? "/account" : "/")
            response.setCookie(sessionCookie(session.token))
            return response
        } catch let error as DomainError {
            return signInPage(request, context, error: error, name: form["name"] ?? "", status: .unauthorized)
        }
    }

    func accountPage(_ viewer: Viewer, error: DomainError? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let w = viewer.words
        var h = UI.heading(w["account.title"])
        if viewer.session.mustChoosePassphrase {
            h.markup("<p class=\"notice\" role=\"status\">")
            h.text(w["account.must_choose"])
            h.markup("</p>")
        }
        h.markup("<section class=\"panel\"><h2>")
        h.text(w["account.passphrase"])
        h.markup("</h2>")
        h.append(UI.formStart(viewer, "/account/passphrase"))
        h.append(UI.field(w["account.current"], name: "current", type: "password", required: true, attributes: "autocomplete=\"current-password\""))
        h.append(UI.field(w["account.new"], name: "new", type: "password", required: true, hint: w["account.new_hint"], attributes: "autocomplete=\"new-password\" minlength=\"12\""))
        h.append(UI.field(w["account.repeat"], name: "repeat", type: "password", required: true, attributes: "autocomplete=\"new-password\""))
        h.append(UI.submit(w["account.save"]))
        h.markup("</form></section><section class=\"panel\"><h2>")
        h.text(w["account.about"])
        h.markup("</h2>")
        var roles: [String] = []
        for grant in viewer.caller.grants {
            roles.append(w["role." + grant.role.rawValue] + (grant.member.map { " · " + viewer.memberName($0) } ?? ""))
        }
        h.append(UI.facts([
            (w["account.name"], UI.text(viewer.caller.name)),
            (w["account.roles"], UI.text(roles.joined(separator: "；"))),
            (w["account.chair"], UI.text(viewer.isChair ? w["account.chair_yes"] : w["account.chair_no"])),
            (w["account.language"], UI.text(w["language." + viewer.language.rawValue])),
        ]))
        h.markup("</section>")
        return Layout.page(viewer, title: w["account.title"], section: .account, status: status, error: error, h)
    }
}
