import Foundation
import Hummingbird
import HTTPTypes
import LunzhiCore

/// Consultations (会商): the chair convenes, tables, opens, decides, defers, closes, cancels;
/// every member records its position. The tally shown before deciding is Core's
/// `ConsultationTally`, the rule `decide` applies.
struct ConsultationRoutes {
    let web: WebApp
    var service: Cooperation { web.service }

    func register(_ router: Router<WebContext>) {
        router.get("/consultations") { request, context in
            try await web.page(request, context) { viewer in try await listPage(viewer) }
        }
        router.get("/consultations/new") { request, context in
            try await web.page(request, context) { viewer in conveneForm(viewer, values: Form(fields: [])) }
        }
        router.post("/consultations") { request, context in
            try await web.post(request, context) { viewer, form in
                let kind = try form.choice("kind", ConsultationKind.self)
                let plan = ConsultationPlan(
                    kind: kind, at: kind == .written ? nil : try form.optionalTime("at"), place: form.optional("place"),
                    agendaDeadline: try form.time("agenda_deadline"),
                    responseDeadline: kind == .written ? try form.optionalTime("response_deadline") : nil,
                    rule: kind == .written ? try form.choice("rule", ConsultationRule.self) : nil)
                let consultation = try await service.convene(by: viewer.principal, plan)
                return Layout.redirect("/consultations/\(consultation.id)?done=convened")
            } refused: { viewer, form, error in conveneForm(viewer, values: form, error: error) }
        }
        router.get("/consultations/{id}") { request, context in
            try await web.page(request, context) { viewer in
                try await consultationPage(viewer, id: try WebApp.id(context), done: request.query("done"))
            }
        }
        router.post("/consultations/{id}/{action}") { request, context in
            try await web.post(request, context) { viewer, form in
                let id = try WebApp.id(context)
                let p = viewer.principal
                switch context.parameters.get("action") ?? "" {
                case "table":
                    let items = try form.all("item").map { text -> Int in
                        guard let id = Int(text), id > 0 else { throw DomainError(.invalidArgument, detail: "form_item") }
                        return id
                    }
                    guard !items.isEmpty else { throw DomainError(.invalidArgument, detail: "form_table_none") }
                    _ = try await service.table(by: p, consultation: id, items: items)
                case "open": _ = try await service.openConsultation(by: p, id: id)
                case "position":
                    _ = try await service.recordPosition(
                        by: p, consultation: id, item: try form.int("item"), stance: try form.choice("stance", Stance.self),
                        note: form.optional("note"))
                case "decide": _ = try await service.decide(by: p, consultation: id, item: try form.int("item"))
                case "defer": _ = try await service.deferItem(by: p, consultation: id, item: try form.int("item"), reason: form.optional("reason"))
                case "close": _ = try await service.closeConsultation(by: p, id: id, minutes: form["minutes"] ?? "")
                case "cancel": _ = try await service.cancelConsultation(by: p, id: id, reason: form["reason"] ?? "")
                default: throw DomainError(.notFound, detail: "no_action")
                }
                let action = context.parameters.get("action") ?? ""
                let anchor = form.optional("item").map { "#item-\($0)" } ?? ""
                return Layout.redirect("/consultations/\(id)?done=consultation_\(action)\(anchor)")
            } refused: { viewer, _, error in
                try await consultationPage(viewer, id: try WebApp.id(context), error: error)
            }
        }
    }

    func listPage(_ viewer: Viewer) async throws -> Response {
        let w = viewer.words
        let all = try await service.consultations(by: viewer.principal)
        var h = HTML(markup: "<div class=\"page-head\"><h1>")
        h.text(w["consultations.title"])
        h.markup("</h1>")
        if viewer.isChair {
            h.markup("<a class=\"button primary\" href=\"/consultations/new\">")
            h.text(w["consultations.new"])
            h.markup("</a>")
        }
        h.markup("</div>")
        h.append(UI.table(
            w["consultations.title"],
            headers: ["#", w["consultations.kind"], w["consultations.when"], w["consultations.chair"], w["consultations.items"], w["consultations.state"]],
            rows: all.reversed().map { c in
                [
                    UI.link("/consultations/\(c.id)", "#\(c.id)"),
                    UI.link("/consultations/\(c.id)", w["kind." + c.kind.rawValue] + (c.place.map { " · " + $0 } ?? "")),
                    UI.text(viewer.time(c.at ?? c.responseDeadline ?? c.agendaDeadline)),
                    UI.text(viewer.memberName(c.chairMember)), UI.text(String(c.agenda.count)),
                    UI.badge(w["cstate." + c.state.rawValue], kind: "state-" + c.state.rawValue),
                ]
            }, empty: w["consultations.none"]))
        return Layout.page(viewer, title: w["consultations.title"], section: .consultations, h)
    }

    func conveneForm(_ viewer: Viewer, values: Form, error: DomainError? = nil) -> Response {
        let w = viewer.words
        var h = UI.heading(w["consultations.new"])
        h.append(UI.formStart(viewer, "/consultations"))
        h.append(UI.select(w["consultations.kind"], name: "kind", options: ConsultationKind.allCases.map { ($0.rawValue, w["kind." + $0.rawValue]) }, selected: values["kind"] ?? "meeting", required: true))
        h.append(UI.field(w["consultations.at"], name: "at", value: values["at"] ?? "", type: "datetime-local", hint: w["consultations.at_hint"]))
        h.append(UI.field(w["consultations.place"], name: "place", value: values["place"] ?? "", attributes: "maxlength=\"200\""))
        h.append(UI.field(w["consultations.agenda_deadline"], name: "agenda_deadline", value: values["agenda_deadline"] ?? "", type: "datetime-local", required: true))
        h.append(UI.field(w["consultations.response_deadline"], name: "response_deadline", value: values["response_deadline"] ?? "", type: "datetime-local", hint: w["consultations.response_hint"]))
        h.append(UI.select(w["consultations.rule"], name: "rule", options: ConsultationRule.allCases.map { ($0.rawValue, w["rule." + $0.rawValue]) }, selected: values["rule"] ?? "consent"))
        h.append(UI.submit(w["consultations.convene"]))
        h.markup("</form>")
        return Layout.page(viewer, title: w["consultations.new"], section: .consultations, status: error.map(Layout.status(of:)) ?? .ok, error: error, h)
    }

    func consultationPage(_ viewer: Viewer, id: Int, done: String? = nil, error: DomainError? = nil) async throws -> Response {
        let w = viewer.words
        let c = try await service.consultation(by: viewer.principal, id: id)
        let chair = viewer.profile.chairToday.contains(c.mechanism)
        let allowed = Set(ConsultationLifecycle.allowed(in: c.state))
        let myMember = viewer.caller.clerkMember(in: c.mechanism)
        let settings = try await service.mechanismSettings(by: viewer.principal, mechanism: c.mechanism)
        let memberCodes = viewer.members.map(\.code)
        let deadlinePassed = c.responseDeadline.map { $0 < service.clock.now() } ?? false
        var h = HTML(markup: "<div class=\"page-head\"><h1>")
        h.text(w["kind." + c.kind.rawValue] + " #\(c.id)")
        h.markup("</h1>")
        h.append(UI.badge(w["cstate." + c.state.rawValue], kind: "state-" + c.state.rawValue))
        h.markup("</div>")
        var facts: [(String, HTML)] = [
            (w["consultations.chair"], UI.text(viewer.memberName(c.chairMember))),
            (w["consultations.agenda_deadline"], UI.text(viewer.time(c.agendaDeadline))),
            (w["consultations.rule"], UI.text(w["rule." + c.rule.rawValue])),
        ]
        if let at = c.at { facts.insert((w["consultations.at"], UI.text(viewer.time(at))), at: 1) }
        if let place = c.place { facts.insert((w["consultations.place"], UI.text(place)), at: 1) }
        if let response = c.responseDeadline { facts.append((w["consultations.response_deadline"], UI.text(viewer.time(response)))) }
        h.append(UI.facts(facts))
        if let reason = c.cancelReason { h.markup("<div class=\"callout\"><h2>"); h.text(w["consultations.cancel_reason"]); h.markup("</h2>"); h.append(UI.prose(reason)); h.markup("</div>") }
        if let minutes = c.minutes { h.append(UI.heading(w["consultations.minutes"], level: 2)); h.append(UI.prose(minutes)) }

        // Chair's actions on the whole consultation.
        if chair && allowed.contains(.open) {
            h.markup("<div class=\"actions\">")
            h.append(UI.action(viewer, "/consultations/\(c.id)/open", w["consultations.open"], style: "primary"))
            h.markup("</div>")
        }

        h.append(UI.heading(w["consultations.agenda"], level: 2))
        if c.agenda.isEmpty { h.markup("<p class=\"empty\">"); h.text(w["consultations.no_agenda"]); h.markup("</p>") }
        for entry in c.agenda.sorted(by: { $0.ordinal < $1.ordinal }) {
            h.markup("<section class=\"panel entry\" id=\"item-\(entry.itemID)\"><h3>")
            h.text("\(entry.ordinal). ")
            h.markup("<a href=\"/items/\(entry.itemID)\">")
            h.text(entry.title)
            h.markup("</a> ")
            h.append(UI.badge(w["track." + entry.track.rawValue], kind: "track-" + entry.track.rawValue))
            if let outcome = entry.outcome {
                h.append(UI.badge(w["outcome." + outcome.rawValue], kind: "outcome-" + outcome.rawValue))
            }
            h.markup("</h3>")
            if let number = entry.decisionNumber {
                h.markup("<p class=\"decision\">")
                h.text(w["consultations.decision_number"] + " " + number)
                h.markup("</p>")
                // Auditors and operators (whom AuditDesk.prove allows) can take the decision's
                // inclusion proof away and check it offline.
                if viewer.isAuditor || viewer.isOperator {
                    h.markup("<p class=\"proof\">")
                    h.append(UI.link("/audit/proof/" + number, w["audit.proof_download"]))
                    h.markup("</p><p class=\"hint\">")
                    h.text(w["audit.proof_hint"])
                    h.markup("</p>")
                }
            }
            // Everyone's positions, and the tally under the rule.
            let stances = entry.positions.mapValues(\.stance)
            h.append(UI.table(
                w["consultations.positions"], headers: [w["items.member"], w["consultations.stance"], w["consultations.note"]],
                rows: memberCodes.map { code in
                    let position = entry.positions[code]
                    return [
                        UI.text(viewer.memberName(code)),
                        position.map { UI.badge(w["stance." + $0.stance.rawValue], kind: "stance-" + $0.stance.rawValue) } ?? UI.text(w["consultations.no_position"]),
                        UI.text(position?.note ?? ""),
                    ]
                }, empty: ""))
            if entry.outcome == nil {
                let tally = ConsultationTally(members: memberCodes, quorum: settings.quorum, rule: c.rule, deadlinePassed: deadlinePassed, positions: stances)
                h.markup("<p class=\"tally\">")
                let counts = Stance.allCases.map { s in w["stance." + s.rawValue] + " \(stances.values.filter { $0 == s }.count)" }
                h.text(counts.joined(separator: " · ") + " · " + w["consultations.missing"] + " \(memberCodes.count - stances.count)")
                h.markup("<br>")
                h.text(w["consultations.rule_text." + c.rule.rawValue] + " ")
                switch tally.result {
                case .adopted(let bySilence): h.text(bySilence ? w["tally.adopted_silence"] : w["tally.adopted"])
                case .rejected(let objectors): h.text(w["tally.rejected"] + " " + objectors.map(viewer.memberName).joined(separator: "、"))
                case .waiting(let missing): h.text(w["tally.waiting"] + " " + missing.map(viewer.memberName).joined(separator: "、"))
                }
                h.markup("</p>")
                if let myMember, c.state == .open {
                    let mine = entry.positions[myMember]
                    h.append(UI.formStart(viewer, "/consultations/\(c.id)/position", classes: "stack position"))
                    h.markup("<input type=\"hidden\" name=\"item\" value=\"\(entry.itemID)\">")
                    h.append(UI.radios(w["consultations.my_position"] + "（" + viewer.memberName(myMember) + "）", name: "stance",
                                       options: Stance.allCases.map { ($0.rawValue, w["stance." + $0.rawValue]) }, selected: mine?.stance.rawValue, idPrefix: "r-\(entry.itemID)-stance"))
                    h.append(UI.field(w["consultations.note"], name: "note", value: mine?.note ?? "", hint: w["consultations.note_hint"], id: "f-note-\(entry.itemID)"))
                    h.append(UI.submit(w["consultations.record"]))
                    h.markup("</form>")
                }
                if chair && c.state == .open {
                    h.markup("<div class=\"actions\">")
                    let field = HTML(markup: "<input type=\"hidden\" name=\"item\" value=\"\(entry.itemID)\">")
                    h.append(UI.action(viewer, "/consultations/\(c.id)/decide", w["consultations.decide"], style: "primary", fields: field))
                    h.append(UI.action(viewer, "/consultations/\(c.id)/defer", w["consultations.defer"], fields: field))
                    h.markup("</div>")
                }
            }
            h.markup("</section>")
        }

        // Chair: table accepted items, close with minutes, cancel with a reason.
        if chair && allowed.contains(.table) {
            let accepted = try await service.items(by: viewer.principal, mechanism: c.mechanism, ItemFilter(state: .accepted))
            if !accepted.isEmpty {
                h.markup("<section class=\"panel\"><h2>")
                h.text(w["consultations.table"])
                h.markup("</h2>")
                h.append(UI.formStart(viewer, "/consultations/\(c.id)/table"))
                h.markup("<fieldset class=\"checks\"><legend>")
                h.text(w["consultations.table_hint"])
                h.markup("</legend>")
                for item in accepted {
                    h.markup("<label for=\"t-\(item.id)\"><input type=\"checkbox\" id=\"t-\(item.id)\" name=\"item\" value=\"\(item.id)\"> ")
                    h.text("#\(item.id) \(item.title) · \(viewer.memberName(item.member))")
                    h.markup("</label>")
                }
                h.markup("</fieldset>")
                h.append(UI.submit(w["consultations.table"]))
                h.markup("</form></section>")
            }
        }
        if chair && allowed.contains(.close) {
            h.markup("<section class=\"panel\"><h2>")
            h.text(w["consultations.close"])
            h.markup("</h2>")
            h.append(UI.formStart(viewer, "/consultations/\(c.id)/close"))
            h.append(UI.field(w["consultations.minutes"], name: "minutes", type: "textarea", required: true))
            h.append(UI.submit(w["consultations.close"]))
            h.markup("</form></section>")
        }
        if chair && allowed.contains(.cancel) {
            h.markup("<details class=\"panel\"><summary>")
            h.text(w["consultations.cancel"])
            h.markup("</summary>")
            h.append(UI.formStart(viewer, "/consultations/\(c.id)/cancel"))
            h.append(UI.field(w["consultations.cancel_reason"], name: "reason", type: "textarea", required: true))
            h.append(UI.submit(w["consultations.cancel"], style: "danger"))
            h.markup("</form></details>")
        }
        return Layout.page(
            viewer, title: w["kind." + c.kind.rawValue] + " #\(c.id)", section: .consultations,
            status: error.map(Layout.status(of:)) ?? .ok, notice: done.map { w.done($0) }, error: error, h)
    }
}
