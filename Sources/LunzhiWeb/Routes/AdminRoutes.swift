import Foundation
import Hummingbird
import HTTPTypes
import LunzhiCore

/// Operators: principals (create, showing the secret once; disable).
struct AdminRoutes {
    let web: WebApp
    var service: Cooperation { web.service }

    func register(_ router: Router<WebContext>) {
        router.get("/admin/principals") { request, context in
            try await web.page(request, context) { viewer in try await principalsPage(viewer, done: request.query("done")) }
        }
        router.post("/admin/principals") { request, context in
            try await web.post(request, context) { viewer, form in
                let role = try form.choice("role", Role.self)
                let name = form["name"]?.trimmingCharacters(in: .whitespaces) ?? ""
                let created = try await service.addPrincipal(
                    by: viewer.principal, name: name, displayName: form["display_name"] ?? "", role: role,
                    member: role == .clerk ? form.optional("member")?.uppercased() : nil)
                // The secret is shown on this response only, never again (it is stored as a hash).
                return try await principalsPage(viewer, created: (name, created))
            } refused: { viewer, form, error in try await principalsPage(viewer, values: form, error: error) }
        }
        router.post("/admin/principals/disable") { request, context in
            try await web.post(request, context) { viewer, form in
                try await service.disablePrincipal(by: viewer.principal, name: try form.required("name"))
                return Layout.redirect("/admin/principals?done=disabled")
            } refused: { viewer, _, error in try await principalsPage(viewer, error: error) }
        }
    }

    func principalsPage(
        _ viewer: Viewer, done: String? = nil, created: (String, CreatedPrincipal)? = nil, values: Form = Form(fields: []),
        error: DomainError? = nil
    ) async throws -> Response {
        let w = viewer.words
        let principals = try await service.listPrincipals(by: viewer.principal)
        var h = UI.heading(w["admin.title"])
        if let (name, principal) = created {
            h.markup("<div class=\"secret\" role=\"status\"><p>")
            h.text(w["admin.created"] + " " + name)
            h.markup("</p><p>")
            h.text(w["admin.secret_once"])
            h.markup("</p><p><code class=\"secret-value\" id=\"new-secret\">")
            h.text(principal.secret)
            h.markup("</code></p>")
            if principal.awaitingConfirmation {
                h.markup("<p>")
                h.text(w["admin.awaits_confirmation"])
                h.markup("</p>")
            }
            h.markup("</div>")
        }
        h.append(UI.table(
            w["admin.title"], headers: [w["admin.name"], w["admin.display_name"], w["account.roles"], w["items.state"], ""],
            rows: principals.map { p in
                let roles = p.grants.map { w["role." + $0.role.rawValue] + ($0.member.map { " · " + viewer.memberName($0) } ?? "") }
                var disable = HTML()
                if !p.disabled && p.id != viewer.principal {
                    disable = UI.action(viewer, "/admin/principals/disable", w["admin.disable"], style: "danger small",
                                        fields: HTML(markup: "<input type=\"hidden\" name=\"name\" value=\"\(HTML.attribute(p.name))\">"))
                }
                let state = p.disabled ? w["admin.disabled"] : p.awaitingConfirmation ? w["admin.awaiting"] : w["admin.active"]
                return [UI.text(p.name), UI.text(p.displayName), UI.text(roles.joined(separator: "；")), UI.text(state), disable]
            }, empty: ""))
        h.markup("<section class=\"panel\"><h2>")
        h.text(w["admin.new"])
        h.markup("</h2>")
        h.append(UI.formStart(viewer, "/admin/principals"))
        h.append(UI.field(w["admin.name"], name: "name", value: values["name"] ?? "", required: true, hint: w["admin.name_hint"], attributes: "autocapitalize=\"none\" spellcheck=\"false\""))
        h.append(UI.field(w["admin.display_name"], name: "display_name", value: values["display_name"] ?? ""))
        h.append(UI.select(w["admin.role"], name: "role", options: Role.allCases.map { ($0.rawValue, w["role." + $0.rawValue]) }, selected: values["role"] ?? "clerk", required: true))
        h.append(UI.select(w["admin.member"], name: "member", options: viewer.members.map { ($0.code, viewer.memberName($0.code)) }, selected: values["member"], includeEmpty: w["admin.member_none"]))
        h.append(UI.submit(w["admin.create"]))
        h.markup("</form></section>")
        return Layout.page(
            viewer, title: w["admin.title"], section: .admin, status: error.map(Layout.status(of:)) ?? .ok,
            notice: done.map { w.done($0) }, error: error, h)
    }
}
