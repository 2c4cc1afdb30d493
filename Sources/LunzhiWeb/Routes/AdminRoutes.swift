import Foundation
import Hummingbird
import HTTPTypes
import LunzhiCore

/// Operators: principals (create, showing the secret once; disable) and members' contacts
/// (where reminders go). Clerks may manage their own member's contacts on the same page.
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
        router.get("/admin/contacts") { request, context in
            try await web.page(request, context) { viewer in try await contactsPage(viewer, done: request.query("done")) }
        }
        router.post("/admin/contacts") { request, context in
            try await web.post(request, context) { viewer, form in
                _ = try await service.addContact(
                    by: viewer.principal, member: form.optional("member")?.uppercased(), channel: try form.required("channel"),
                    address: form["address"] ?? "", secret: form.optional("secret"))
                return Layout.redirect("/admin/contacts?done=contact_added")
            } refused: { viewer, form, error in try await contactsPage(viewer, values: form, error: error) }
        }
        router.post("/admin/contacts/remove") { request, context in
            try await web.post(request, context) { viewer, form in
                try await service.removeContact(by: viewer.principal, id: try form.int("id"))
                return Layout.redirect("/admin/contacts?done=contact_removed")
            } refused: { viewer, _, error in try await contactsPage(viewer, error: error) }
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

    func contactsPage(_ viewer: Viewer, done: String? = nil, values: Form = Form(fields: []), error: DomainError? = nil)
        async throws -> Response
    {
        let w = viewer.words
        let contacts = try await service.contacts(by: viewer.principal)
        var h = UI.heading(w["contacts.title"])
        h.markup("<p class=\"lede\">")
        h.text(w["contacts.lede"])
        h.markup("</p>")
        let mayChange: (String) -> Bool = { member in viewer.isOperator || viewer.member == member }
        h.append(UI.table(
            w["contacts.title"], headers: [w["items.member"], w["contacts.channel"], w["contacts.address"], w["items.state"], ""],
            rows: contacts.map { c in
                var remove = HTML()
                if mayChange(c.member) {
                    remove = UI.action(viewer, "/admin/contacts/remove", w["contacts.remove"], style: "danger small",
                                       fields: HTML(markup: "<input type=\"hidden\" name=\"id\" value=\"\(c.id)\">"))
                }
                return [
                    UI.text(viewer.memberName(c.member)), UI.text(w["channel." + c.channel]), UI.text(c.address),
                    UI.text(c.enabled ? w["admin.active"] : w["admin.disabled"]), remove,
                ]
            }, empty: w["contacts.none"]))
        if viewer.isOperator || viewer.isClerk {
            h.markup("<section class=\"panel\"><h2>")
            h.text(w["contacts.add"])
            h.markup("</h2>")
            h.append(UI.formStart(viewer, "/admin/contacts"))
            let members = viewer.members.filter { mayChange($0.code) }
            h.append(UI.select(w["items.member"], name: "member", options: members.map { ($0.code, viewer.memberName($0.code)) }, selected: values["member"] ?? viewer.member, required: true))
            h.append(UI.select(w["contacts.channel"], name: "channel", options: Cooperation.contactChannels.map { ($0, w["channel." + $0]) }, selected: values["channel"] ?? "email", required: true))
            h.append(UI.field(w["contacts.address"], name: "address", value: values["address"] ?? "", required: true, hint: w["contacts.address_hint"]))
            h.append(UI.field(w["contacts.secret"], name: "secret", type: "password", hint: w["contacts.secret_hint"], attributes: "autocomplete=\"off\""))
            h.append(UI.submit(w["contacts.add"]))
            h.markup("</form></section>")
        }
        return Layout.page(
            viewer, title: w["contacts.title"], section: .contacts, status: error.map(Layout.status(of:)) ?? .ok,
            notice: done.map { w.done($0) }, error: error, h)
    }
}
