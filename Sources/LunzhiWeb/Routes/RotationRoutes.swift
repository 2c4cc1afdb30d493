import Foundation
import Hummingbird
import HTTPTypes
import LunzhiCore
import PostgresLibPQ

/// The rotation (轮值): who chairs today, the terms, acting chairs, swap and skip requests and
/// consents; operators plan terms.
struct RotationRoutes {
    let web: WebApp
    var service: Cooperation { web.service }

    func register(_ router: Router<WebContext>) {
        router.get("/rotation") { request, context in
            try await web.page(request, context) { viewer in try await rotationPage(viewer, done: request.query("done")) }
        }
        router.post("/rotation/{action}") { request, context in
            try await web.post(request, context) { viewer, form in
                let p = viewer.principal
                switch context.parameters.get("action") ?? "" {
                case "plan":
                    let order = (form["order"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "，" })
                        .map { $0.uppercased() }
                    _ = try await service.planRotation(by: p, order: order, fromYear: try form.int("from_year"), years: try form.int("years"))
                case "swap":
                    _ = try await service.requestSwap(by: p, years: (try form.int("year_a"), try form.int("year_b")), reason: form["reason"] ?? "")
                case "skip":
                    _ = try await service.requestSkip(by: p, year: try form.int("year"), reason: form["reason"] ?? "")
                case "consent":
                    _ = try await service.consent(by: p, exception: try form.int("exception"))
                case "withdraw":
                    _ = try await service.withdrawException(by: p, exception: try form.int("exception"), reason: form["reason"] ?? "")
                case "acting":
                    guard let from = CalendarDate(form["from"] ?? ""), let until = CalendarDate(form["until"] ?? "") else {
                        throw DomainError(.invalidArgument, detail: "form_dates")
                    }
                    _ = try await service.designateActingChair(
                        by: p, member: form.optional("member")?.uppercased(), from: from, until: until, reason: form["reason"] ?? "")
                case "revoke":
                    try await service.endActingChair(by: p, id: try form.int("id"), reason: form["reason"] ?? "")
                default: throw DomainError(.notFound, detail: "no_action")
                }
                return Layout.redirect("/rotation?done=rotation_\(context.parameters.get("action") ?? "")")
            } refused: { viewer, _, error in try await rotationPage(viewer, error: error) }
        }
    }

    func rotationPage(_ viewer: Viewer, done: String? = nil, error: DomainError? = nil) async throws -> Response {
        let w = viewer.words
        let today = ShanghaiCalendar.date(of: service.clock.now())
        let chair = try await service.chair(by: viewer.principal)
        // A year back for context, then CHAIR SCHEDULE's default (this year and the next four).
        let schedule = try await service.schedule(
            by: viewer.principal, from: CalendarDate(year: today.year - 1, month: 1, day: 1))
        let exceptions = try await service.rotationExceptions(by: viewer.principal)
        var h = UI.heading(w["rotation.title"])
        h.markup("<p class=\"lede\">")
        if let chair {
            h.text(w["rotation.today"] + " " + TimeFormat.date(today, viewer.language) + "：" + viewer.memberName(chair.member)
                + (chair.acting ? "（" + w["rotation.acting"] + "）" : ""))
        } else {
            h.text(w["rotation.no_chair"])
        }
        h.markup("</p>")
        // An acting period not yet over may be ended by the member whose term it lies in, or an
        // operator (Cooperation.endActingChair decides; the page only offers it to them).
        func mayEnd(_ e: ScheduleEntry) -> Bool {
            guard e.actingID != nil, e.until > today else { return false }
            let term = schedule.first { $0.kind == .term && $0.from <= e.from && e.from < $0.until }
            return viewer.isOperator || (viewer.member != nil && term?.member == viewer.member)
        }
        let ending = schedule.contains(where: mayEnd)
        h.append(UI.table(
            w["rotation.schedule"],
            headers: [w["rotation.period"], w["rotation.member"], w["rotation.kind"]] + (ending ? [""] : []),
            rows: schedule.map { e in
                var row = [
                    UI.text(TimeFormat.period(e.from, until: e.until, viewer.language)),
                    UI.text(e.member.map(viewer.memberName) ?? "—"), UI.text(w["schedule." + e.kind.rawValue]),
                ]
                if ending, let id = e.actingID, mayEnd(e) {
                    var fields = HTML(markup: "<input type=\"hidden\" name=\"id\" value=\"\(id)\">")
                    fields.append(UI.field(w["rotation.reason"], name: "reason", required: true, id: "f-reason-revoke-\(id)"))
                    row.append(UI.action(viewer, "/rotation/revoke", w["rotation.revoke"], fields: fields))
                } else if ending {
                    row.append(HTML())
                }
                return row
            }, empty: w["rotation.none"]))
        h.append(UI.heading(w["rotation.exceptions"], level: 2))
        h.append(UI.table(
            w["rotation.exceptions"],
            headers: ["#", w["rotation.kind"], w["rotation.concerned_years"], w["rotation.members"], w["rotation.reason"], w["items.state"], ""],
            rows: exceptions.map { e in
                var consent = HTML()
                let exceptionField = HTML(markup: "<input type=\"hidden\" name=\"exception\" value=\"\(e.id)\">")
                if e.state == "pending", let mine = viewer.member, e.missing.contains(mine) {
                    consent = UI.action(viewer, "/rotation/consent", w["rotation.consent"], style: "primary",
                                        fields: exceptionField)
                }
                // Withdrawn (or declined) by a member it concerns, or an operator (Cooperation.withdrawException).
                if e.state == "pending", viewer.isOperator || viewer.member.map(e.members.contains) == true {
                    var fields = exceptionField
                    fields.append(UI.field(w["rotation.reason"], name: "reason", required: true, id: "f-reason-withdraw-\(e.id)"))
                    consent.append(UI.action(viewer, "/rotation/withdraw", w["rotation.withdraw"], fields: fields))
                }
                return [
                    UI.text("#\(e.id)"), UI.text(w["exception." + e.kind]),
                    years(e, viewer),
                    UI.text(e.members.map { viewer.memberName($0) + (e.consented.contains($0) ? " ✓" : "") }.joined(separator: "、")),
                    UI.text(e.reason), UI.badge(w["exception_state." + e.state], kind: "exception-" + e.state), consent,
                ]
            }, empty: w["rotation.no_exceptions"]))
        if viewer.isClerk {
            h.markup("<div class=\"grid2\"><details class=\"panel\"><summary>")
            h.text(w["rotation.swap"])
            h.markup("</summary>")
            h.append(UI.formStart(viewer, "/rotation/swap"))
            h.append(UI.field(w["rotation.year_a"], name: "year_a", type: "number", required: true))
            h.append(UI.field(w["rotation.year_b"], name: "year_b", type: "number", required: true))
            h.append(UI.field(w["rotation.reason"], name: "reason", type: "textarea", required: true, id: "f-reason-swap"))
            h.append(UI.submit(w["rotation.request"]))
            h.markup("</form></details><details class=\"panel\"><summary>")
            h.text(w["rotation.skip"])
            h.markup("</summary>")
            h.append(UI.formStart(viewer, "/rotation/skip"))
            h.append(UI.field(w["rotation.year"], name: "year", type: "number", required: true))
            h.append(UI.field(w["rotation.reason"], name: "reason", type: "textarea", required: true, id: "f-reason-skip"))
            h.append(UI.submit(w["rotation.request"]))
            h.markup("</form></details></div>")
        }
        if viewer.isChair {
            h.markup("<details class=\"panel\"><summary>")
            h.text(w["rotation.designate"])
            h.markup("</summary>")
            h.append(UI.formStart(viewer, "/rotation/acting"))
            h.append(UI.select(w["rotation.member"], name: "member", options: viewer.members.filter { $0.code != viewer.member }.map { ($0.code, viewer.memberName($0.code)) }, includeEmpty: w["rotation.next_member"]))
            h.append(UI.field(w["rotation.from"], name: "from", type: "date", required: true))
            h.append(UI.field(w["rotation.until"], name: "until", type: "date", required: true))
            h.append(UI.field(w["rotation.reason"], name: "reason", type: "textarea", required: true, id: "f-reason-acting"))
            h.append(UI.submit(w["rotation.designate"]))
            h.markup("</form></details>")
        }
        if viewer.isOperator {
            h.markup("<details class=\"panel\"\(schedule.isEmpty ? " open" : "")><summary>")
            h.text(w["rotation.plan"])
            h.markup("</summary>")
            h.append(UI.formStart(viewer, "/rotation/plan"))
            h.append(UI.field(w["rotation.order"], name: "order", value: viewer.members.sorted { $0.rotationOrder < $1.rotationOrder }.map(\.code).joined(separator: ","), required: true, hint: w["rotation.order_hint"]))
            h.append(UI.field(w["rotation.from_year"], name: "from_year", value: String(today.year), type: "number", required: true))
            h.append(UI.field(w["rotation.years"], name: "years", value: "5", type: "number", required: true))
            h.append(UI.submit(w["rotation.plan"]))
            h.markup("</form></details>")
        }
        return Layout.page(viewer, title: w["rotation.title"], section: .rotation, status: error.map(Layout.status(of:)) ?? .ok, notice: done.map { w.done($0) }, error: error, h)
    }

    /// The years an exception concerns, each kept on one line (a crowded desk table broke
    /// "2028年度" after the digits): 2027年度 ⇄ 2028年度.
    private func years(_ e: RotationException, _ viewer: Viewer) -> HTML {
        var h = HTML()
        for (index, year) in e.years.enumerated() {
            if index > 0 { h.text(e.kind == "swap" ? " ⇄ " : "、") }
            h.element("span", "class=\"nowrap\"", text: TimeFormat.period(
                ShanghaiCalendar.firstOfJanuary(year), until: ShanghaiCalendar.firstOfJanuary(year + 1), viewer.language))
        }
        return h
    }
}
