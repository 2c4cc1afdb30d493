import Foundation
import Hummingbird
import HTTPTypes
import LunzhiCore

/// Agenda items (议题): list, file, revise, submit, withdraw; the chair accepts or returns.
/// Each action calls the Cooperation function the console's ITEM command calls.
struct ItemRoutes {
    let web: WebApp
    var service: Cooperation { web.service }

    func register(_ router: Router<WebContext>) {
        router.get("/items") { request, context in
            try await web.page(request, context) { viewer in try await listPage(request, viewer) }
        }
        router.get("/items/new") { request, context in
            try await web.page(request, context) { viewer in try await formPage(viewer, values: Form(fields: [])) }
        }
        router.post("/items") { request, context in
            try await web.post(request, context) { viewer, form in
                let item = try await service.fileItem(by: viewer.principal, try draft(form))
                return Layout.redirect("/items/\(item.id)?done=filed")
            } refused: { viewer, form, error in
                try await formPage(viewer, values: form, error: error)
            }
        }
        router.get("/items/{id}") { request, context in
            try await web.page(request, context) { viewer in
                try await itemPage(viewer, id: try WebApp.id(context), done: request.query("done"))
            }
        }
        router.get("/items/{id}/edit") { request, context in
            try await web.page(request, context) { viewer in
                let item = try await service.item(by: viewer.principal, id: try WebApp.id(context))
                return try await formPage(viewer, values: Self.values(of: item), item: item)
            }
        }
        router.post("/items/{id}/revise") { request, context in
            try await web.post(request, context) { viewer, form in
                let id = try WebApp.id(context)
                _ = try await service.reviseItem(by: viewer.principal, id: id, try draft(form))
                return Layout.redirect("/items/\(id)?done=revised")
            } refused: { viewer, form, error in
                let item = try await service.item(by: viewer.principal, id: try WebApp.id(context))
                return try await formPage(viewer, values: form, item: item, error: error)
            }
        }
        for action in ["submit", "withdraw", "accept", "return"] {
            router.post("/items/{id}/\(action)") { request, context in
                try await web.post(request, context) { viewer, form in
                    let id = try WebApp.id(context)
                    switch action {
                    case "submit": _ = try await service.submitItem(by: viewer.principal, id: id)
                    case "withdraw": _ = try await service.withdrawItem(by: viewer.principal, id: id, reason: form.optional("reason"))
                    case "accept": _ = try await service.acceptItem(by: viewer.principal, id: id)
                    default: _ = try await service.returnItem(by: viewer.principal, id: id, reason: form["reason"] ?? "")
                    }
                    return Layout.redirect("/items/\(id)?done=item_\(action)")
                } refused: { viewer, _, error in
                    try await itemPage(viewer, id: try WebApp.id(context), error: error)
                }
            }
        }
    }

    // MARK: Reading forms

    func draft(_ form: Form) throws -> ItemDraft {
        let project: Int? = form.optional("project") == nil ? nil : try form.int("project")
        return ItemDraft(
            category: try form.choice("category", ItemCategory.self), track: try form.choice("track", Track.self),
            title: form["title"] ?? "", body: form["body"] ?? "", justification: form.optional("justification"),
            projectID: project)
    }

    static func values(of item: AgendaItem) -> Form {
        Form(fields: [
            ("category", item.category.rawValue), ("track", item.track.rawValue), ("title", item.title),
            ("body", item.body), ("justification", item.justification ?? ""),
            ("project", item.projectID.map(String.init) ?? ""),
        ])
    }

    // MARK: Pages

    func listPage(_ request: Request, _ viewer: Viewer) async throws -> Response {
        let w = viewer.words
        let state = request.query("state").flatMap(ItemState.init(rawValue:))
        let member = request.query("member").map { $0.uppercased() }
        let year = request.query("year").flatMap { Int($0) }
        let items = try await service.items(
            by: viewer.principal, ItemFilter(state: state, member: member, year: year, limit: 200))
        var h = HTML(markup: "<div class=\"page-head\"><h1>")
        h.text(w["items.title"])
        h.markup("</h1>")
        if viewer.isClerk {
            h.markup("<a class=\"button primary\" href=\"/items/new\">")
            h.text(w["items.new"])
            h.markup("</a>")
        }
        h.markup("</div><form method=\"get\" action=\"/items\" class=\"filters\">")
        h.append(UI.select(w["items.state"], name: "state", options: ItemState.allCases.map { ($0.rawValue, w["state." + $0.rawValue]) }, selected: state?.rawValue, includeEmpty: w["filter.all"]))
        h.append(UI.select(w["items.member"], name: "member", options: viewer.members.map { ($0.code, viewer.memberName($0.code)) }, selected: member, includeEmpty: w["filter.all"]))
        h.append(UI.field(w["items.year"], name: "year", value: year.map(String.init) ?? "", type: "number", attributes: "min=\"1900\" max=\"2999\""))
        h.markup("<div class=\"buttons\"><button class=\"button\" type=\"submit\">")
        h.text(w["filter.apply"])
        h.markup("</button></div></form>")
        h.append(
            UI.table(
                w["items.title"],
                headers: ["#", w["items.title_field"], w["items.member"], w["items.track"], w["items.state"], w["items.updated"]],
                rows: items.map { item in
                    [
                        UI.text(String(item.id)), UI.link("/items/\(item.id)", item.title),
                        UI.text(viewer.memberName(item.member)), UI.badge(w["track." + item.track.rawValue], kind: "track-" + item.track.rawValue),
                        UI.badge(w["state." + item.state.rawValue], kind: "state-" + item.state.rawValue),
                        UI.text(viewer.time(item.updatedAt)),
                    ]
                }, empty: w["items.none"]))
        return Layout.page(viewer, title: w["items.title"], section: .items, notice: request.query("done").map { w.done($0) }, h)
    }

    func formPage(_ viewer: Viewer, values: Form, item: AgendaItem? = nil, error: DomainError? = nil) async throws -> Response {
        let w = viewer.words
        let projects = (try? await service.projects(by: viewer.principal)) ?? []
        let title = item == nil ? w["items.new"] : w["items.edit"]
        var h = UI.heading(title)
        h.append(UI.formStart(viewer, item.map { "/items/\($0.id)/revise" } ?? "/items"))
        h.append(UI.select(w["items.category"], name: "category", options: ItemCategory.allCases.map { ($0.rawValue, w["category." + $0.rawValue]) }, selected: values["category"] ?? "direction", required: true))
        h.append(UI.select(w["items.track"], name: "track", options: Track.allCases.map { ($0.rawValue, w["track." + $0.rawValue]) }, selected: values["track"] ?? "regular", required: true))
        h.append(UI.field(w["items.title_field"], name: "title", value: values["title"] ?? "", required: true, hint: w["items.title_hint"], attributes: "maxlength=\"200\""))
        h.append(UI.field(w["items.body"], name: "body", value: values["body"] ?? "", type: "textarea", hint: w["items.body_hint"]))
        h.append(UI.field(w["items.justification"], name: "justification", value: values["justification"] ?? "", type: "textarea", hint: w["items.justification_hint"]))
        h.append(UI.select(w["items.project"], name: "project", options: projects.map { (String($0.id), "#\($0.id) \($0.name)") }, selected: values["project"], includeEmpty: w["items.no_project"]))
        h.append(UI.submit(item == nil ? w["items.file"] : w["items.save"]))
        h.markup("</form>")
        let status = error.map(Layout.status(of:)) ?? .ok
        return Layout.page(viewer, title: title, section: .items, status: status, error: error, h)
    }

    func itemPage(_ viewer: Viewer, id: Int, done: String? = nil, error: DomainError? = nil) async throws -> Response {
        let w = viewer.words
        let item = try await service.item(by: viewer.principal, id: id)
        let ownMember = viewer.caller.clerkMember(in: item.mechanism) == item.member
        let chair = viewer.profile.chairToday.contains(item.mechanism)
        let allowed = Set(ItemLifecycle.allowed(in: item.state))
        var h = HTML(markup: "<div class=\"page-head\"><h1>")
        h.text(item.title)
        h.markup("</h1>")
        h.append(UI.badge(w["state." + item.state.rawValue], kind: "state-" + item.state.rawValue))
        h.markup("</div>")
        var facts: [(String, HTML)] = [
            (w["items.number"], UI.text("#\(item.id)")),
            (w["items.member"], UI.text(viewer.memberName(item.member))),
            (w["items.category"], UI.text(w["category." + item.category.rawValue])),
            (w["items.track"], UI.badge(w["track." + item.track.rawValue], kind: "track-" + item.track.rawValue)),
            (w["items.created"], UI.text(viewer.time(item.createdAt))),
            (w["items.updated"], UI.text(viewer.time(item.updatedAt))),
        ]
        if let project = item.projectID { facts.append((w["items.project"], UI.link("/projects/\(project)", "#\(project)"))) }
        h.append(UI.facts(facts))
        if let reason = item.returnReason, item.state == .returned {
            h.markup("<div class=\"callout\"><h2>")
            h.text(w["items.return_reason"])
            h.markup("</h2>")
            h.append(UI.prose(reason))
            h.markup("</div>")
        }
        if !item.body.isEmpty {
            h.append(UI.heading(w["items.body"], level: 2))
            h.append(UI.prose(item.body))
        }
        if let justification = item.justification {
            h.append(UI.heading(w["items.justification"], level: 2))
            h.append(UI.prose(justification))
        }
        // Only what this principal may do now.
        var actions = HTML()
        if ownMember {
            if allowed.contains(.revise) { actions.markup("<a class=\"button\" href=\"/items/\(item.id)/edit\">"); actions.text(w["items.edit"]); actions.markup("</a>") }
            if allowed.contains(.submit) { actions.append(UI.action(viewer, "/items/\(item.id)/submit", w["items.submit"], style: "primary")) }
        }
        if chair && allowed.contains(.accept) {
            actions.append(UI.action(viewer, "/items/\(item.id)/accept", w["items.accept"], style: "primary"))
        }
        if !actions.raw.isEmpty { h.markup("<div class=\"actions\">"); h.append(actions); h.markup("</div>") }
        if chair && allowed.contains(.return) {
            h.markup("<details class=\"panel\"><summary>")
            h.text(w["items.return"])
            h.markup("</summary>")
            h.append(UI.formStart(viewer, "/items/\(item.id)/return"))
            h.append(UI.field(w["items.return_reason"], name: "reason", type: "textarea", required: true))
            h.append(UI.submit(w["items.return"], style: "danger"))
            h.markup("</form></details>")
        }
        if ownMember && allowed.contains(.withdraw) {
            h.markup("<details class=\"panel\"><summary>")
            h.text(w["items.withdraw"])
            h.markup("</summary>")
            h.append(UI.formStart(viewer, "/items/\(item.id)/withdraw"))
            h.append(UI.field(w["items.withdraw_reason"], name: "reason", type: "textarea"))
            h.append(UI.submit(w["items.withdraw"], style: "danger"))
            h.markup("</form></details>")
        }
        if let events = try? await service.itemTimeline(by: viewer.principal, id: id) {
            h.append(UI.heading(w["items.timeline"], level: 2))
            h.append(Timeline.render(events, viewer))
        }
        let status = error.map(Layout.status(of:)) ?? .ok
        return Layout.page(viewer, title: item.title, section: .items, status: status, notice: done.map { w.done($0) }, error: error, h)
    }
}

/// Audit events as a timeline: when, who (and for which member), what, why.
enum Timeline {
    static func render(_ events: [AuditEvent], _ viewer: Viewer) -> HTML {
        let w = viewer.words
        var h = HTML(markup: "<ol class=\"timeline\">")
        for event in events {
            h.markup("<li><time>")
            h.text(viewer.time(event.at))
            h.markup("</time><span class=\"what\">")
            h.text(w.action(event.action))
            h.markup("</span><span class=\"who\">")
            h.text(event.principal + (event.member.map { " · " + viewer.memberName($0) } ?? ""))
            h.markup("</span>")
            if let reason = event.reason, !reason.isEmpty {
                h.markup("<span class=\"why\">")
                h.text(SystemReason(text: reason)?.said(w) ?? reason)
                h.markup("</span>")
            }
            h.markup("<span class=\"seq\">#\(event.seq)</span></li>")
        }
        h.markup("</ol>")
        return h
    }
}
