import Foundation
import Hummingbird
import HTTPTypes
import LunzhiAudit
import LunzhiCore

/// The audit log on the web: a decision's inclusion proof, the same `AuditDesk.prove` as the
/// console's `AUDIT PROVE decision=<number>` and `lunzhi audit prove --decision` (auditors and
/// operators; the use is recorded), as a JSON file to check offline.
struct AuditRoutes {
    let web: WebApp

    func register(_ router: Router<WebContext>) {
        router.get("/audit/proof/{number}") { request, context in
            try await web.page(request, context) { viewer in
                let number = context.parameters.get("number") ?? ""
                let proof = try await web.auditDesk.prove(by: viewer.principal, decision: number)
                var response = Response(status: .ok, body: .init(byteBuffer: .init(string: proof.json() + "\n")))
                response.headers[.contentType] = "application/json; charset=utf-8"
                // The number was found in the log, so it is a decision number (2026-001): safe in
                // a file name.
                let safe = String(number.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" })
                response.headers[.contentDisposition] = "attachment; filename=\"lunzhi-proof-\(safe).json\""
                response.headers[.cacheControl] = "no-store"
                return response
            }
        }
    }
}
