import Foundation
import Hummingbird
import HTTPTypes
import LunzhiCore

/// Projects (项目): register, move the stage, read.
struct ProjectRoutes {
    let web: WebApp
    var service: Cooperation { web.service }

    func register(_ router: Router<WebContext>) {
        router.get("/projects") { request, context in
            try await web.page(request, context) { viewer in try await listPage(viewer) }
        }
        router.get("/projects/new") { request, context in
            try await web.page(request, context) { viewer in projectForm(viewer, values: Form(fields: [])) }
        }
        router.post("/projects") { request, context in
            try await web.post(request, context) { viewer, form in
                guard let investment = Money.parse(form["investment"] ?? "") else {
                    throw DomainError(.invalidArgument, detail: "form_amount")
                }
                let project = try await service.addProject(
                    by: viewer.principal,
                    ProjectDraft(
                        name: form["name"] ?? "",
                        enterprises: (form["enterprises"] ?? "").split(whereSeparator: { $0 == "\n" || $0 == "，" || $0 == "," })
                            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty },
                        investment: investment, industry: try form.choice("industry", Industry.self),
                        subIndustry: form["sub_industry"] ?? "", source: try form.choice("source", SourceRegion.self),
                        place: form["place"] ?? "", stage: try form.choice("stage", ProjectStage.self)))
                return Layout.redirect("/projects/\(project.id)?done=registered")
            } refused: { viewer, form, error in projectForm(viewer, values: form, error: error) }
        }
        router.get("/projects/{id}") { request, context in
            try await web.page(request, context) { viewer in
                try await projectPage(viewer, id: try WebApp.id(context), done: request.query("done"))
            }
        }
        router.post("/projects/{id}/stage") { request, context in
            try await web.post(request, context) { viewer, form in
                let id = try WebApp.id(context)
                _ = try await service.setProjectStage(by: viewer.principal, id: id, stage: try form.choice("stage", ProjectStage.self))
                return Layout.redirect("/projects/\(id)?done=stage")
            } refused: { viewer, _, error in try await projectPage(viewer, id: try WebApp.id(context), error: error) }
        }
    }

    func listPage(_ viewer: Viewer) async throws -> Response {
        let w = viewer.words
        let projects = try await service.projects(by: viewer.principal)
        var h = HTML(markup: "<div class=\"page-head\"><h1>")
        h.text(w["projects.title"])
        h.markup("</h1>")
        if viewer.isClerk {
            h.markup("<a class=\"button primary\" href=\"/projects/new\">")
            h.text(w["projects.new"])
            h.markup("</a>")
        }
        h.markup("</div>")
        h.append(UI.table(
            w["projects.title"],
            headers: ["#", w["projects.name"], w["projects.host"], w["projects.industry"], w["projects.investment"], w["projects.stage"]],
            rows: projects.map { p in
                [
                    UI.text("#\(p.id)"), UI.link("/projects/\(p.id)", p.name), UI.text(viewer.memberName(p.hostMember)),
                    UI.text(w["industry." + p.industry.rawValue]), UI.text(Money.format(p.investment)),
                    UI.text(w["stage." + p.stage.rawValue]),
                ]
            }, empty: w["projects.none"]))
        return Layout.page(viewer, title: w["projects.title"], section: .projects, h)
    }

    func projectForm(_ viewer: Viewer, values: Form, error: DomainError? = nil) -> Response {
        let w = viewer.words
        var h = UI.heading(w["projects.new"])
        h.append(UI.formStart(viewer, "/projects"))
        h.append(UI.field(w["projects.name"], name: "name", value: values["name"] ?? "", required: true, attributes: "maxlength=\"200\""))
        h.append(UI.field(w["projects.enterprises"], name: "enterprises", value: values["enterprises"] ?? "", type: "textarea", hint: w["projects.enterprises_hint"]))
        h.append(UI.field(w["projects.investment"], name: "investment", value: values["investment"] ?? "", required: true, hint: w["projects.investment_hint"], attributes: "inputmode=\"decimal\""))
        h.append(UI.select(w["projects.industry"], name: "industry", options: Industry.allCases.map { ($0.rawValue, w["industry." + $0.rawValue]) }, selected: values["industry"], required: true))
        h.append(UI.field(w["projects.sub_industry"], name: "sub_industry", value: values["sub_industry"] ?? ""))
        h.append(UI.select(w["projects.source"], name: "source", options: SourceRegion.allCases.map { ($0.rawValue, w["source." + $0.rawValue]) }, selected: values["source"], required: true))
        h.append(UI.field(w["projects.place"], name: "place", value: values["place"] ?? ""))
        h.append(UI.select(w["projects.stage"], name: "stage", options: ProjectStage.allCases.map { ($0.rawValue, w["stage." + $0.rawValue]) }, selected: values["stage"] ?? "planned", required: true))
        h.append(UI.submit(w["projects.register"]))
        h.markup("</form>")
        return Layout.page(viewer, title: w["projects.new"], section: .projects, status: error.map(Layout.status(of:)) ?? .ok, error: error, h)
    }

    func projectPage(_ viewer: Viewer, id: Int, done: String? = nil, error: DomainError? = nil) async throws -> Response {
        let w = viewer.words
        let p = try await service.project(by: viewer.principal, id: id)
        var h = UI.heading(p.name)
        h.append(UI.facts([
            (w["projects.number"], UI.text("#\(p.id)")),
            (w["projects.host"], UI.text(viewer.memberName(p.hostMember))),
            (w["projects.enterprises"], UI.text(p.enterprises.joined(separator: "、"))),
            (w["projects.investment"], UI.text(Money.format(p.investment))),
            (w["projects.industry"], UI.text(w["industry." + p.industry.rawValue] + (p.subIndustry.isEmpty ? "" : " · " + p.subIndustry))),
            (w["projects.source"], UI.text(w["source." + p.source.rawValue])),
            (w["projects.place"], UI.text(p.place)),
            (w["projects.stage"], UI.text(w["stage." + p.stage.rawValue])),
        ]))
        h.append(UI.heading(w["projects.history"], level: 2))
        h.markup("<ol class=\"timeline\">")
        for change in p.history {
            h.markup("<li><time>")
            h.text(viewer.time(change.at))
            h.markup("</time><span class=\"what\">")
            h.text(w["stage." + change.stage.rawValue])
            h.markup("</span></li>")
        }
        h.markup("</ol>")
        if viewer.caller.clerkMember(in: p.mechanism) == p.hostMember {
            h.markup("<section class=\"panel\"><h2>")
            h.text(w["projects.move_stage"])
            h.markup("</h2>")
            h.append(UI.formStart(viewer, "/projects/\(p.id)/stage", classes: "stack"))
            h.append(UI.select(w["projects.stage"], name: "stage", options: ProjectStage.allCases.map { ($0.rawValue, w["stage." + $0.rawValue]) }, selected: p.stage.rawValue))
            h.append(UI.submit(w["projects.save_stage"]))
            h.markup("</form></section>")
        }
        if viewer.isClerk {
            h.markup("<p><a class=\"button\" href=\"/approvals/new?project=\(p.id)\">")
            h.text(w["approvals.new"])
            h.markup("</a></p>")
        }
        return Layout.page(viewer, title: p.name, section: .projects, status: error.map(Layout.status(of:)) ?? .ok, notice: done.map { w.done($0) }, error: error, h)
    }
}
