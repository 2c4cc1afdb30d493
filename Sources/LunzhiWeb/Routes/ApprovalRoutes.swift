import Foundation
import Hummingbird
import HTTPTypes
import LunzhiCore

/// Case-by-case approvals (一事一议): request, answer (grant or deny), every party's answer.
struct ApprovalRoutes {
    let web: WebApp
    var service: Cooperation { web.service }

    func register(_ router: Router<WebContext>) {
        router.get("/approvals") { request, context in
            try await web.page(request, context) { viewer in
                try await listPage(viewer, filter: request.query("filter").flatMap(ApprovalFilter.init(rawValue:)))
            }
        }
        router.get("/approvals/new") { request, context in
            try await web.page(request, context) { viewer in
                try await requestForm(viewer, values: Form(fields: [("project", request.query("project") ?? "")]))
            }
        }
        router.post("/approvals") { request, context in
            try await web.post(request, context) { viewer, form in
                let approval = try await service.requestApproval(
                    by: viewer.principal,
                    ApprovalRequest(
                        projectID: try form.int("project"), track: try form.choice("track", Track.self),
                        ask: form["ask"] ?? "", justification: form.optional("justification"),
                        parties: form.all("party").map { $0.uppercased() }))
                return Layout.redirect("/approvals/\(approval.id)?done=requested")
            } refused: { viewer, form, error in try await requestForm(viewer, values: form, error: error) }
        }
        router.get("/approvals/{id}") { request, context in
            try await web.page(request, context) { viewer in
                try await approvalPage(viewer, id: try WebApp.id(context), done: request.query("done"))
            }
        }
        router.post("/approvals/{id}/answer") { request, context in
            try await web.post(request, context) { viewer, form in
                let id = try WebApp.id(context)
                switch try form.choice("answer", ApprovalAnswer.self) {
                case .grant: _ = try await service.grant(by: viewer.principal, approval: id, note: form.optional("note"))
                case .deny: _ = try await service.deny(by: viewer.principal, approval: id, reason: form["note"] ?? "")
                }
                return Layout.redirect("/approvals/\(id)?done=answered")
            } refused: { viewer, _, error in try await approvalPage(viewer, id: try WebApp.id(context), error: error) }
        }
    }

    func listPage(_ viewer: Viewer, filter: ApprovalFilter?) async throws -> Response {
        let w = viewer.words
        let approvals = try await service.approvals(by: viewer.principal, filter: filter)
        var h = HTML(markup: "<div class=\"page-head\"><h1>")
        h.text(w["approvals.title"])
        h.markup("</h1>")
        if viewer.isClerk {
            h.markup("<a class=\"button primary\" href=\"/approvals/new\">")
            h.text(w["approvals.new"])
            h.markup("</a>")
        }
        h.markup("</div><p class=\"tabs\">")
        h.append(UI.link("/approvals", w["filter.all"]))
        for f in ApprovalFilter.allCases {
            h.markup(" ")
            h.append(UI.link("/approvals?filter=\(f.rawValue)", w["afilter." + f.rawValue]))
        }
        h.markup("</p>")
        h.append(UI.table(
            w["approvals.title"],
            headers: ["#", w["approvals.project"], w["approvals.ask"], w["approvals.requester"], w["items.track"], w["approvals.due"], w["items.state"]],
            rows: approvals.reversed().map { a in
                [
                    UI.link("/approvals/\(a.id)", "#\(a.id)"), UI.link("/projects/\(a.projectID)", "#\(a.projectID) \(a.projectName)"),
                    UI.text(UI.gist(a.ask)),
                    UI.text(viewer.memberName(a.requesterMember)),
                    UI.badge(w["track." + a.track.rawValue], kind: "track-" + a.track.rawValue),
                    a.overdue ? UI.badge(viewer.time(a.dueAt) + " · " + w["queue.overdue"], kind: "overdue") : UI.text(viewer.time(a.dueAt)),
                    UI.badge(w["astate." + a.state.rawValue], kind: "state-" + a.state.rawValue),
                ]
            }, empty: w["approvals.none"]))
        return Layout.page(viewer, title: w["approvals.title"], section: .approvals, h)
    }

    func requestForm(_ viewer: Viewer, values: Form, error: DomainError? = nil) async throws -> Response {
        let w = viewer.words
        let projects = try await service.projects(by: viewer.principal)
        var h = UI.heading(w["approvals.new"])
        h.append(UI.formStart(viewer, "/approvals"))
        h.append(UI.select(w["approvals.project"], name: "project", options: projects.map { (String($0.id), "#\($0.id) \($0.name)") }, selected: values["project"], required: true, includeEmpty: w["approvals.choose_project"]))
        h.append(UI.select(w["items.track"], name: "track", options: Track.allCases.map { ($0.rawValue, w["track." + $0.rawValue]) }, selected: values["track"] ?? "regular", required: true))
        h.append(UI.field(w["approvals.ask"], name: "ask", value: values["ask"] ?? "", type: "textarea", required: true))
        h.append(UI.field(w["items.justification"], name: "justification", value: values["justification"] ?? "", type: "textarea", hint: w["items.justification_hint"]))
        h.markup("<fieldset class=\"checks\"><legend>")
        h.text(w["approvals.parties_hint"])
        h.markup("</legend>")
        let chosen = Set(values.all("party"))
        for member in viewer.members where member.code != viewer.member {
            h.markup("<label for=\"p-\(member.code)\"><input type=\"checkbox\" id=\"p-\(member.code)\" name=\"party\" value=\"\(member.code)\"\(chosen.contains(member.code) ? " checked" : "")> ")
            h.text(viewer.memberName(member.code))
            h.markup("</label>")
        }
        h.markup("</fieldset>")
        h.append(UI.submit(w["approvals.request"]))
        h.markup("</form>")
        return Layout.page(viewer, title: w["approvals.new"], section: .approvals, status: error.map(Layout.status(of:)) ?? .ok, error: error, h)
    }

    func approvalPage(_ viewer: Viewer, id: Int, done: String? = nil, error: DomainError? = nil) async throws -> Response {
        let w = viewer.words
        let a = try await service.approval(by: viewer.principal, id: id)
        var h = HTML(markup: "<div class=\"page-head\"><h1>")
        h.text(w["approvals.one"] + " #\(a.id)")
        h.markup("</h1>")
        h.append(UI.badge(w["astate." + a.state.rawValue], kind: "state-" + a.state.rawValue))
        if a.overdue { h.append(UI.badge(w["queue.overdue"], kind: "overdue")) }
        h.markup("</div>")
        var facts: [(String, HTML)] = [
            (w["approvals.project"], UI.link("/projects/\(a.projectID)", "#\(a.projectID) \(a.projectName)")),
            (w["approvals.requester"], UI.text(viewer.memberName(a.requesterMember))),
            (w["items.track"], UI.badge(w["track." + a.track.rawValue], kind: "track-" + a.track.rawValue)),
            (w["approvals.requested"], UI.text(viewer.time(a.requestedAt))),
            (w["approvals.due"], UI.text(viewer.time(a.dueAt))),
            (w["approvals.screening"], UI.text(a.screening.screenedCode.map { Self.screened($0, a.screening.catalogueVersion, w) } ?? w["approvals.clear"])),
        ]
        if let decided = a.decidedAt { facts.append((w["approvals.decided"], UI.text(viewer.time(decided)))) }
        h.append(UI.facts(facts))
        h.append(UI.heading(w["approvals.ask"], level: 2))
        h.append(UI.prose(a.ask))
        if let justification = a.justification {
            h.append(UI.heading(w["items.justification"], level: 2))
            h.append(UI.prose(justification))
        }
        h.append(UI.heading(w["approvals.parties"], level: 2))
        h.append(UI.table(
            w["approvals.parties"], headers: [w["items.member"], w["approvals.answer"], w["consultations.note"], w["approvals.answered"]],
            rows: a.parties.map { p in
                [
                    UI.text(viewer.memberName(p.member)),
                    p.answer.map { UI.badge(w["answer." + $0.rawValue], kind: "answer-" + $0.rawValue) } ?? UI.text(w["approvals.waiting"]),
                    UI.text(p.note ?? ""), UI.text(p.answeredAt.map(viewer.time) ?? ""),
                ]
            }, empty: ""))
        if a.state == .pending, let mine = viewer.caller.clerkMember(in: a.mechanism),
            a.parties.contains(where: { $0.member == mine && $0.answer == nil })
        {
            h.markup("<section class=\"panel\"><h2>")
            h.text(w["approvals.your_answer"])
            h.markup("</h2>")
            h.append(UI.formStart(viewer, "/approvals/\(a.id)/answer"))
            h.append(UI.radios(w["approvals.answer"], name: "answer", options: ApprovalAnswer.allCases.map { ($0.rawValue, w["answer." + $0.rawValue]) }, selected: nil))
            h.append(UI.field(w["approvals.note"], name: "note", type: "textarea", hint: w["approvals.note_hint"]))
            h.append(UI.submit(w["approvals.send"]))
            h.markup("</form></section>")
        }
        return Layout.page(
            viewer, title: w["approvals.one"] + " #\(a.id)", section: .approvals, status: error.map(Layout.status(of:)) ?? .ok,
            notice: done.map { w.done($0) }, error: error, h)
    }

    /// `属限制类产业：钢铁（目录第 1 版）`: the excluded industry by its catalogue term.
    static func screened(_ code: String, _ version: Int, _ w: Words) -> String {
        let industry = Catalogue.entries["screened." + code] == nil ? code : w["screened." + code]
        return Catalogue.fill(w["approvals.screened_as"]) { $0 == "industry" ? industry : String(version) }
    }
}
