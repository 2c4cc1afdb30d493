import Foundation
import Hummingbird
import LunzhiCore

/// 我的待办: what waits for my member, nearest deadline first, overdue in red.
struct QueueRoutes {
    let web: WebApp
    var service: Cooperation { web.service }

    func register(_ router: Router<WebContext>) {
        router.get("/") { request, context in
            try await web.page(request, context) { viewer in
                guard viewer.isClerk else {
                    // Operators and auditors have no member's queue: their own start pages.
                    let done = request.query("done").map { "?done=" + $0.filter { $0.isLetter || $0 == "_" } } ?? ""
                    return Layout.redirect((viewer.isOperator ? "/admin/principals" : "/items") + done)
                }
                let entries = try await service.workQueue(by: viewer.principal)
                return queuePage(viewer, entries, done: request.query("done"))
            }
        }
    }

    func queuePage(_ viewer: Viewer, _ entries: [WorkEntry], done: String?) -> Response {
        let w = viewer.words
        var h = HTML(markup: "<div class=\"page-head\"><h1>")
        h.text(w["queue.title"])
        h.markup("</h1><a class=\"button primary\" href=\"/items/new\">")
        h.text(w["items.new"])
        h.markup("</a></div>")
        if entries.isEmpty {
            h.markup("<p class=\"empty\">")
            h.text(w["queue.empty"])
            h.markup("</p>")
        } else {
            h.markup("<ul class=\"queue\">")
            for entry in entries {
                h.markup("<li class=\"\(entry.overdue ? "overdue" : "")\">")
                let href =
                    switch entry.entity {
                    case "item": "/items/\(entry.id)"
                    case "approval": "/approvals/\(entry.id)"
                    case "rotation_exception": "/rotation"
                    default: "/consultations/\(entry.id)" + (entry.itemID.map { "#item-\($0)" } ?? "")
                    }
                h.markup("<a href=\"\(href)\"><span class=\"kind\">")
                h.text(w["queue." + entry.kind.rawValue])
                h.markup("</span><span class=\"title\">")
                // A consultation's kind (联席会议) or an exception's (调换) names it before its title.
                let subkind = entry.subkind.map { w[(entry.entity == "rotation_exception" ? "exception." : "kind.") + $0] }
                h.text([subkind, entry.title.isEmpty ? nil : entry.title].compactMap { $0 }.joined(separator: " · "))
                h.markup("</span><span class=\"when\">")
                if let deadline = entry.deadline {
                    h.text((entry.overdue ? w["queue.overdue"] + " · " : w["queue.due"] + " ") + viewer.time(deadline))
                } else {
                    h.text(w["queue.no_deadline"])
                }
                h.markup("</span></a></li>")
            }
            h.markup("</ul>")
        }
        return Layout.page(
            viewer, title: w["queue.title"], section: .queue, notice: done.map { w.done($0) }, h)
    }
}
