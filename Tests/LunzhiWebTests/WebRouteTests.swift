import Foundation
import HTTPTypes
import LunzhiAudit
import LunzhiCore
import LunzhiTestSupport
import LunzhiWeb
import PostgresLibPQ
import Testing

/// The web's routes on the real database: pages by role, forms and their refusals, sessions,
/// CSRF, headers, hostile input.
@Suite struct WebRouteTests {
    /// A mechanism with one item in each interesting state, a consultation, a project and an approval.
    static func seed(_ f: MechanismFixture) async throws -> (item: Int, consultation: Int, project: Int, approval: Int) {
        let s = f.service
        let item = try await s.fileItem(by: f.clerk("QH"), ItemDraft(category: .policy, track: .regular, title: "共建盐湖化工产业链"))
        _ = try await s.submitItem(by: f.clerk("QH"), id: item.id)
        _ = try await s.acceptItem(by: f.clerk("GS"), id: item.id)
        let c = try await s.convene(
            by: f.clerk("GS"),
            ConsultationPlan(kind: .meeting, at: f.clock.now().addingTimeInterval(86400), place: "兰州",
                             agendaDeadline: f.clock.now().addingTimeInterval(3600)))
        _ = try await s.table(by: f.clerk("GS"), consultation: c.id, items: [item.id])
        _ = try await s.openConsultation(by: f.clerk("GS"), id: c.id)
        let project = try await s.addProject(
            by: f.clerk("QH"), ProjectDraft(name: "格尔木项目", investment: 1_250_000_000, industry: .equipment, source: .eastCentral))
        let approval = try await s.requestApproval(
            by: f.clerk("QH"), ApprovalRequest(projectID: project.id, track: .urgent, ask: "协调用地", parties: ["GS"]))
        _ = try await s.fileItem(by: f.clerk("QH"), ItemDraft(category: .other, track: .regular, title: "草稿议题"))
        return (item.id, c.id, project.id, approval.id)
    }

    @Test func everyPageRendersForEveryRole() async throws {
        try await WebHarness.with { h in
            let ids = try await Self.seed(h.fixture)
            let pages = [
                "/items", "/items/new", "/items/\(ids.item)", "/consultations", "/consultations/new",
                "/consultations/\(ids.consultation)", "/approvals", "/approvals/new", "/approvals/\(ids.approval)",
                "/projects", "/projects/new", "/projects/\(ids.project)", "/rotation", "/account",
            ]
            for name in ["clerk-gs", "clerk-qh", "operator", "auditor"] {
                let b = try await h.browser(name)
                for uri in pages {
                    let page = try await h.get(uri, b)
                    #expect(page.status == .ok, "\(name) \(uri): \(page.status) \(page.body.prefix(300))")
                    #expect(page.body.contains("<html lang=\"zh-CN\">"), "\(name) \(uri)")
                    #expect(!page.body.contains("class=\"error\""), "\(name) \(uri)")
                }
                if name != "auditor" {
                    let contacts = try await h.get("/admin/contacts", b)
                    #expect(contacts.status == .ok && contacts.body.contains("提醒方式"), "\(name) contacts")
                }
                let admin = try await h.get("/admin/principals", b)
                #expect(admin.status == (name == "operator" ? .ok : .forbidden), "\(name) admin")
                if name != "operator" { #expect(admin.body.contains("FORBIDDEN")) }
                let home = try await h.get("/", b)
                #expect(home.status == (name.hasPrefix("clerk") ? .ok : .seeOther), "\(name) /")
            }
            // The chair's queue shows what waits for the chair's office; Qinghai's its own work.
            let gs = try await h.get("/", try await h.browser("clerk-gs"))
            #expect(gs.body.contains("作出决定") && gs.body.contains("答复审批") && gs.body.contains("表明立场"))
            let qh = try await h.get("/", try await h.browser("clerk-qh"))
            #expect(qh.body.contains("提交草稿") && qh.body.contains("草稿议题") && !qh.body.contains("作出决定"))
        }
    }

    @Test func pagesOfferOnlyWhatThePrincipalMayDo() async throws {
        try await WebHarness.with { h in
            let f = h.fixture
            let item = try await f.service.fileItem(by: f.clerk("QH"), ItemDraft(category: .policy, track: .regular, title: "议题"))
            _ = try await f.service.submitItem(by: f.clerk("QH"), id: item.id)
            let asChair = try await h.get("/items/\(item.id)", try await h.browser("clerk-gs"))
            #expect(asChair.body.contains("/items/\(item.id)/accept") && asChair.body.contains("/items/\(item.id)/return"))
            let asFiler = try await h.get("/items/\(item.id)", try await h.browser("clerk-qh"))
            #expect(!asFiler.body.contains("/accept") && asFiler.body.contains("/items/\(item.id)/withdraw"))
            let asOther = try await h.get("/items/\(item.id)", try await h.browser("clerk-sn"))
            #expect(!asOther.body.contains("/accept") && !asOther.body.contains("/withdraw") && !asOther.body.contains("/submit"))
        }
    }

    /// The chair designates an acting chair and ends it early from the rotation page; the form is
    /// offered to the chair's member and operators only, and a forged end is refused by the domain.
    @Test func theChairEndsAnActingPeriodFromTheRotationPage() async throws {
        try await WebHarness.with { h in
            let f = h.fixture
            let (gs, qh, op) = (try await h.browser("clerk-gs"), try await h.browser("clerk-qh"), try await h.browser("operator"))
            let designated = try await h.post(
                "/rotation/acting", gs, [("member", "QH"), ("from", "2026-03-10"), ("until", "2026-03-20"), ("reason", "主任出访")])
            #expect(designated.status == .seeOther && designated.location == "/rotation?done=rotation_acting")
            let id: Int = try await f.pool.query("SELECT id FROM acting_chair").single().decode("id")
            #expect(try await h.get("/rotation", gs).body.contains("action=\"/rotation/revoke\""))
            #expect(try await h.get("/rotation", op).body.contains("action=\"/rotation/revoke\""))
            #expect(!(try await h.get("/rotation", qh).body.contains("action=\"/rotation/revoke\"")))
            // Qinghai, the acting member itself, may not end it: refused with the Chinese detail.
            let before = try await h.counts()
            let forged = try await h.post("/rotation/revoke", qh, [("id", String(id)), ("reason", "不需要了")])
            #expect(forged.status == .forbidden && forged.body.contains("NOT_CHAIR"))
            #expect(forged.body.contains("只有 GS 或运维管理员才能结束代理期 \(id)"))
            #expect(try await h.counts() == before)
            // Without a reason: refused, nothing changes.
            let bare = try await h.post("/rotation/revoke", gs, [("id", String(id))])
            #expect(bare.status == .unprocessableContent && bare.body.contains("理由不能为空"))
            #expect(try await h.counts() == before)
            let ended = try await h.post("/rotation/revoke", gs, [("id", String(id)), ("reason", "主任提前回国")])
            #expect(ended.status == .seeOther && ended.location == "/rotation?done=rotation_revoke")
            #expect(try await f.pool.query("SELECT revoked FROM acting_chair").single().decode("revoked", as: Bool.self))
            let page = try await h.get("/rotation?done=rotation_revoke", gs)
            #expect(page.body.contains("代理期已结束") && !page.body.contains("action=\"/rotation/revoke\""))
        }
    }

    /// The chair's queue names a consultation to open by its kind in the reader's language.
    @Test func theChairsQueueNamesAConsultationInTheReadersLanguage() async throws {
        try await WebHarness.with { h in
            let f = h.fixture
            let now = f.clock.now()
            _ = try await f.service.convene(
                by: f.clerk("GS"),
                ConsultationPlan(
                    kind: .meeting, at: now.addingTimeInterval(10 * 86_400), place: "兰州",
                    agendaDeadline: now.addingTimeInterval(5 * 86_400)))
            let gs = try await h.browser("clerk-gs")
            let queue = try await h.get("/", gs).body
            #expect(queue.contains("召开会商") && queue.contains("联席会议 · 兰州") && !queue.contains("meeting"))
            try await f.service.setLanguage(by: f.clerk("GS"), .en)
            #expect(try await h.get("/", gs).body.contains("Meeting · 兰州"))
        }
    }

    /// A swap asked from the web is declined by the member asked, from the same page; a member it does
    /// not concern is offered nothing and refused if it forges the post.
    @Test func aSwapIsDeclinedFromTheRotationPage() async throws {
        try await WebHarness.with { h in
            let f = h.fixture
            let (qh, nx, xj) = (try await h.browser("clerk-qh"), try await h.browser("clerk-nx"), try await h.browser("clerk-xj"))
            let asked = try await h.post("/rotation/swap", qh, [("year_a", "2027"), ("year_b", "2028"), ("reason", "青海承办全国性活动")])
            #expect(asked.status == .seeOther)
            let id: Int = try await f.pool.query("SELECT id FROM rotation_exception").single().decode("id")
            let offered = try await h.get("/rotation", nx).body
            #expect(offered.contains("action=\"/rotation/withdraw\""))
            // Each year kept on one line, both in the cell's one value (on a phone, a label/value grid).
            #expect(
                offered.contains("<div class=\"cell\"><span class=\"nowrap\">2027年度</span> ⇄ <span class=\"nowrap\">2028年度</span></div>")
                    && offered.contains("青海承办全国性活动"))
            // It waits in Ningxia's work queue, named in Chinese, until Ningxia answers.
            let queue = try await h.get("/", nx).body
            #expect(queue.contains("同意或拒绝轮值调换") && queue.contains("调换 · 青海承办全国性活动"))
            #expect(!(try await h.get("/", qh).body.contains("同意或拒绝轮值调换")))
            #expect(!(try await h.get("/rotation", xj).body.contains("action=\"/rotation/withdraw\"")))
            let before = try await h.counts()
            let forged = try await h.post("/rotation/withdraw", xj, [("exception", String(id)), ("reason", "x")])
            #expect(forged.status == .forbidden && forged.body.contains("只有 QH、NX 的联络员或运维管理员才能撤回或拒绝这项申请"))
            #expect(try await h.counts() == before)
            let declined = try await h.post("/rotation/withdraw", nx, [("exception", String(id)), ("reason", "宁夏希望按原计划")])
            #expect(declined.status == .seeOther && declined.location == "/rotation?done=rotation_withdraw")
            let page = try await h.get("/rotation?done=rotation_withdraw", nx)
            #expect(page.body.contains("申请已撤回") && page.body.contains("已撤回") && !page.body.contains("action=\"/rotation/withdraw\""))
            #expect(!(try await h.get("/", nx).body.contains("同意或拒绝轮值调换")))
        }
    }

    @Test func aForgedPostIsRefusedByTheDomainAndChangesNothing() async throws {
        try await WebHarness.with { h in
            let f = h.fixture
            let item = try await f.service.fileItem(by: f.clerk("QH"), ItemDraft(category: .policy, track: .regular, title: "议题"))
            _ = try await f.service.submitItem(by: f.clerk("QH"), id: item.id)
            let (qh, sn) = (try await h.browser("clerk-qh"), try await h.browser("clerk-sn"))
            let before = try await h.counts()
            // Qinghai is not the chair: the page offers no accept, and a forged POST is refused.
            let forged = try await h.post("/items/\(item.id)/accept", qh)
            #expect(forged.status == .forbidden)
            #expect(forged.body.contains("NOT_CHAIR") && forged.body.contains("只有今日的轮值主席单位才能办理此事项"))
            // The detail too is in Chinese, naming today's chair; no English sentence is shown.
            #expect(forged.body.contains("只有轮值主席单位（") && forged.body.contains("）才能受理议题"))
            #expect(!forged.body.contains("only the chair"))
            #expect(try await h.counts() == before)
            #expect(try await f.service.item(by: f.clerk("QH"), id: item.id).state == .submitted)
            // Another member's draft cannot be submitted from the web either.
            let other = try await h.post("/items/\(item.id)/withdraw", sn)
            #expect(other.status == .forbidden && other.body.contains("NOT_OWN_MEMBER"))
            #expect(other.body.contains("只有 QH 的联络员才能撤回本单位的议题"))
            // A clerk cannot create principals.
            let create = try await h.post("/admin/principals", sn, [("name", "x-y"), ("role", "operator")])
            #expect(create.status == .forbidden && create.body.contains("FORBIDDEN"))
            #expect(try await h.counts() == before)
        }
    }

    @Test func contactsOfOnesOwnMemberOnly() async throws {
        try await WebHarness.with { h in
            let qh = try await h.browser("clerk-qh")
            let added = try await h.post("/admin/contacts", qh, [("member", "QH"), ("channel", "email"), ("address", "qh@example.cn")])
            #expect(added.status == .seeOther)
            let before = try await h.counts()
            let other = try await h.post("/admin/contacts", qh, [("member", "GS"), ("channel", "email"), ("address", "x@example.cn")])
            #expect(other.status == .forbidden, "\(other.body.prefix(2000))")
            let bad = try await h.post("/admin/contacts", qh, [("member", "QH"), ("channel", "pigeon"), ("address", "roof")])
            #expect(bad.status == .unprocessableContent && bad.body.contains("INVALID_ARGUMENT"))
            #expect(try await h.counts() == before)
            let page = try await h.get("/admin/contacts", try await h.browser("clerk-sn"))
            #expect(page.body.contains("青海省经济和信息化委员会") && !page.body.contains("qh@example.cn"))
        }
    }

    @Test func filingAnItemAndItsRefusals() async throws {
        try await WebHarness.with { h in
            let b = try await h.browser("clerk-qh")
            var before = try await h.counts()
            // The special track without a justification: refused inline, the form keeps its values.
            let refused = try await h.post(
                "/items", b, [("category", "policy"), ("track", "special"), ("title", "特事特办议题"), ("body", "正文")])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.body.contains("JUSTIFICATION_REQUIRED") && refused.body.contains("value=\"特事特办议题\""))
            #expect(try await h.counts() == before)
            let unknown = try await h.post("/items", b, [("category", "nonsense"), ("track", "regular"), ("title", "x")])
            #expect(unknown.status == .unprocessableContent && unknown.body.contains("INVALID_ARGUMENT"))
            let filed = try await h.post(
                "/items", b, [("category", "policy"), ("track", "special"), ("title", "特事特办议题"), ("justification", "工期紧，须在年内开工")])
            #expect(filed.status == .seeOther)
            let location = try #require(filed.location)
            #expect(location.hasPrefix("/items/") && location.hasSuffix("?done=filed"))
            before = try await h.counts()
            let page = try await h.get(location, b)
            #expect(page.body.contains("议题已保存为草稿") && page.body.contains("特事特办"))
            let id = Int(location.dropFirst("/items/".count).prefix { $0.isNumber })!
            #expect(try await h.post("/items/\(id)/submit", b).status == .seeOther)
            #expect(try await h.fixture.service.item(by: h.fixture.clerk("QH"), id: id).state == .submitted)
            // Submitting twice: WRONG_STATE, shown with the item.
            let twice = try await h.post("/items/\(id)/submit", b)
            #expect(twice.status == .conflict && twice.body.contains("WRONG_STATE"))
            #expect(try await h.counts()["audit_event"] == before["audit_event"]! + 1)
        }
    }

    @Test func signInMakesANewSessionWithAStrictCookie() async throws {
        try await WebHarness.with { h in
            let form = try await h.get("/signin")
            #expect(form.status == .ok && form.body.contains("轮值工作台"))
            let signInCookie = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("lunzhi_signin=") })
            let pre = String(signInCookie.split(separator: ";")[0].dropFirst("lunzhi_signin=".count))
            let planted = "lunzhi_session=" + String(repeating: "A", count: 43)
            let cookies = "lunzhi_signin=\(pre); \(planted)"
            // Wrong secret: 401 with the stable name, no session.
            let wrong = try await h.post(
                "/signin", nil, [("name", "clerk-qh"), ("secret", "wrong")], csrf: .some(pre), cookie: cookies)
            #expect(wrong.status == .unauthorized && wrong.body.contains("AUTH_FAILED"))
            #expect(!wrong.headers[values: .setCookie].contains { $0.hasPrefix("lunzhi_session=") })
            // Without the sign-in form's token: 403 before the secret is looked at.
            let forged = try await h.post(
                "/signin", nil, [("name", "clerk-qh"), ("secret", h.fixture.secrets["clerk-qh"]!)], csrf: .some(nil),
                cookie: cookies)
            #expect(forged.status == .forbidden)
            let right = try await h.post(
                "/signin", nil, [("name", "clerk-qh"), ("secret", h.fixture.secrets["clerk-qh"]!)], csrf: .some(pre),
                cookie: cookies)
            #expect(right.status == .seeOther && right.location == "/account")
            let session = try #require(right.headers[values: .setCookie].first { $0.hasPrefix("lunzhi_session=") })
            #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/"))
            #expect(!session.contains("Secure"))  // no TLS here; under TLS it is Secure (WebTLSTests)
            #expect(!session.hasPrefix(planted))
            // A principal on its handed-out secret is sent to choose a passphrase first.
            let token = String(session.split(separator: ";")[0])
            let home = try await h.get("/", .init(cookie: token, csrf: ""))
            #expect(home.status == .seeOther && home.location == "/account")
        }
    }

    @Test func choosingAPassphrase() async throws {
        try await WebHarness.with { h in
            let f = h.fixture
            let session = try await f.service.startWebSession(name: "clerk-nx", secret: f.secrets["clerk-nx"]!, from: "t")
            #expect(session.mustChoosePassphrase)
            let b = WebHarness.Browser(cookie: "lunzhi_session=\(session.token)", csrf: session.csrfToken)
            let other = try await f.service.startWebSession(name: "clerk-nx", secret: f.secrets["clerk-nx"]!, from: "t")
            let short = try await h.post("/account/passphrase", b, [("current", f.secrets["clerk-nx"]!), ("new", "short"), ("repeat", "short")])
            #expect(short.status == .unprocessableContent && short.body.contains("INVALID_ARGUMENT"))
            let wrong = try await h.post("/account/passphrase", b, [("current", "nope"), ("new", "宁夏 的 新口令 2026"), ("repeat", "宁夏 的 新口令 2026")])
            #expect(wrong.status == .forbidden && wrong.body.contains("AUTH_FAILED"))
            let set = try await h.post("/account/passphrase", b, [("current", f.secrets["clerk-nx"]!), ("new", "宁夏 的 新口令 2026"), ("repeat", "宁夏 的 新口令 2026")])
            #expect(set.status == .seeOther)
            #expect(try await h.get("/", b).status == .ok)
            // The other browser's session ended; the old secret no longer signs in; the new one does.
            #expect(try await f.service.webSession(token: other.token) == nil)
            await #expect(throws: DomainError.self) { try await f.service.authenticate(name: "clerk-nx", secret: f.secrets["clerk-nx"]!) }
            _ = try await f.service.authenticate(name: "clerk-nx", secret: "宁夏 的 新口令 2026")
        }
    }

    @Test func csrfIsCheckedBeforeAnythingElse() async throws {
        try await WebHarness.with { h in
            let qh = try await h.browser("clerk-qh")
            let sn = try await h.browser("clerk-sn")
            let before = try await h.counts()
            let fields = [("category", "policy"), ("track", "regular"), ("title", "无令牌")]
            #expect(try await h.post("/items", qh, fields, csrf: .some(nil)).status == .forbidden)
            #expect(try await h.post("/items", qh, fields, csrf: .some(sn.csrf)).status == .forbidden)
            #expect(try await h.post("/items", qh, fields, csrf: .some("")).status == .forbidden)
            #expect(try await h.post("/signout", qh, csrf: .some(sn.csrf)).status == .forbidden)
            // No session at all: 403 too, not a sign-in page that a script could follow.
            #expect(try await h.post("/items", nil, fields, csrf: .some(qh.csrf)).status == .forbidden)
            #expect(try await h.counts() == before)
            #expect(try await h.get("/", qh).status == .ok)  // the session survives the refusals
        }
    }

    @Test func sessionsExpireWhenIdleAndAtTheirAge() async throws {
        try await WebHarness.with { h in
            let b = try await h.browser("clerk-qh")
            #expect(try await h.get("/", b).status == .ok)
            h.fixture.clock.advance(29 * 60)
            #expect(try await h.get("/", b).status == .ok)
            h.fixture.clock.advance(31 * 60)
            let idle = try await h.get("/", b)
            #expect(idle.status == .seeOther && idle.location == "/signin")
            // Active every 20 minutes, a session still ends 12 hours after it began.
            let busy = try await h.browser("clerk-sn")
            for _ in 0..<36 {
                h.fixture.clock.advance(20 * 60)
                #expect(try await h.get("/", busy).status == .ok)
            }
            h.fixture.clock.advance(20 * 60)
            #expect(try await h.get("/", busy).location == "/signin")
        }
    }

    @Test func signOutAndDisableEndEverySessionOfThePrincipal() async throws {
        try await WebHarness.with { h in
            let f = h.fixture
            let one = try await h.browser("clerk-qh")
            let session = try await f.service.startWebSession(name: "clerk-qh", secret: "a passphrase of clerk-qh", from: "t")
            let two = WebHarness.Browser(cookie: "lunzhi_session=\(session.token)", csrf: session.csrfToken)
            let out = try await h.post("/signout", one)
            #expect(out.status == .seeOther && out.location == "/signin")
            #expect(out.headers[values: .setCookie].contains { $0.hasPrefix("lunzhi_session=;") || $0.hasPrefix("lunzhi_session=") && $0.contains("Max-Age=0") })
            #expect(try await h.get("/", one).location == "/signin")
            #expect(try await h.get("/", two).location == "/signin")
            // USER DISABLE (the same function from the web's principals page) ends sessions at once.
            let sn = try await h.browser("clerk-sn")
            #expect(try await h.get("/", sn).status == .ok)
            let op = try await h.browser("operator")
            let disable = try await h.post("/admin/principals/disable", op, [("name", "clerk-sn")])
            #expect(disable.status == .seeOther)
            #expect(try await h.get("/", sn).location == "/signin")
            let rows: Int = try await f.pool.query(
                "SELECT count(*) AS n FROM web_session s JOIN principal p ON p.id = s.principal_id WHERE p.name = 'clerk-sn'"
            ).single().decode("n")
            #expect(rows == 0)
        }
    }

    @Test func hostileTextIsStoredVerbatimAndAlwaysEscaped() async throws {
        try await WebHarness.with { h in
            let b = try await h.browser("clerk-qh")
            let hostile = "\"><img src=x onerror=alert(1)><script>alert(2)</script> \u{202E}evil\u{202C}"
            let filed = try await h.post("/items", b, [("category", "other"), ("track", "regular"), ("title", hostile), ("body", String(repeating: "长", count: 20_000))])
            #expect(filed.status == .seeOther)
            let id = Int(try #require(filed.location).dropFirst("/items/".count).prefix { $0.isNumber })!
            #expect(try await h.fixture.service.item(by: h.fixture.clerk("QH"), id: id).title == hostile)
            for uri in ["/items/\(id)", "/items", "/"] {
                let page = try await h.get(uri, b)
                #expect(!page.body.contains("<img src=x") && !page.body.contains("<script>alert"), "\(uri)")
                #expect(page.body.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), "\(uri)")
                #expect(!page.body.contains("\u{202E}") && page.body.contains("⟨U+202E⟩evil"), "\(uri)")
            }
            let before = try await h.counts()
            let tooLong = try await h.post("/items", b, [("category", "other"), ("track", "regular"), ("title", "长"), ("body", String(repeating: "长", count: 20_001))])
            #expect(tooLong.status == .unprocessableContent && tooLong.body.contains("TEXT_TOO_LONG"))
            let nul = try await h.post("/items", b, [("category", "other"), ("track", "regular"), ("title", "a\u{0}b")])
            #expect(nul.status == .unprocessableContent && nul.body.contains("INVALID_TEXT"))
            let invalid = try await h.post("/items", b, raw: Array("_csrf=\(b.csrf)&category=other&track=regular&title=%FF%FE".utf8))
            #expect(invalid.status == .badRequest && invalid.body.contains("INVALID_TEXT"))
            let badEscape = try await h.post("/items", b, raw: Array("_csrf=\(b.csrf)&title=%G1".utf8))
            #expect(badEscape.status == .badRequest && badEscape.body.contains("INVALID_TEXT"))
            #expect(try await h.counts() == before)
        }
    }

    @Test func oversizedBodiesAre413AndEveryResponseHasTheHeaders() async throws {
        try await WebHarness.with { h in
            let b = try await h.browser("clerk-qh")
            let before = try await h.counts()
            let big = try await h.post("/items", b, raw: Array(repeating: UInt8(ascii: "a"), count: (1 << 20) + 1))
            #expect(big.status == .contentTooLarge)
            #expect(big.body.contains("提交的内容超过 1 MiB 上限，未作任何更改。") && big.body.contains("over the 1 MiB limit"))
            #expect(try await h.counts() == before)
            for page in [big, try await h.get("/", b), try await h.get("/nowhere"), try await h.get("/signin"),
                         try await h.get("/assets/site.css")] {
                #expect(page.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'self'; frame-ancestors 'none'") == true)
                #expect(page.headers[.xContentTypeOptions] == "nosniff")
                #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
                #expect(page.headers[.strictTransportSecurity] == nil)  // no TLS here
            }
            // No inline script or style anywhere: the CSP forbids them, so they would not run.
            let page = try await h.get("/items/new", b)
            #expect(!page.body.contains("<script") && !page.body.contains("style=") && !page.body.contains("<style"))
        }
    }

    @Test func theLanguageIsRememberedPerPrincipal() async throws {
        try await WebHarness.with { h in
            let b = try await h.browser("clerk-gs")
            #expect(try await h.post("/language", b, [("language", "en")]).status == .seeOther)
            let page = try await h.get("/items", b)
            #expect(page.body.contains("<html lang=\"en\">") && page.body.contains(">Items<") && page.body.contains("Chair today"))
            // Another browser of the same principal reads English too; another principal Chinese.
            let again = try await h.fixture.service.startWebSession(name: "clerk-gs", secret: "a passphrase of clerk-gs", from: "t")
            #expect(again.language == .en)
            #expect(try await h.get("/items", try await h.browser("clerk-qh")).body.contains("<html lang=\"zh-CN\">"))
            let refused = try await h.post("/items/999/accept", b)
            #expect(refused.status == .notFound && refused.body.contains("Not found") && refused.body.contains("NOT_FOUND"))
            #expect(try await h.post("/language", b, [("language", "fr")]).status == .unprocessableContent)
        }
    }

    @Test func theChairDecidesWithTheTallyShownFirst() async throws {
        try await WebHarness.with { h in
            let ids = try await Self.seed(h.fixture)
            let gs = try await h.browser("clerk-gs")
            let early = try await h.post("/consultations/\(ids.consultation)/decide", gs, [("item", String(ids.item))])
            #expect(early.status == .conflict && early.body.contains("QUORUM_NOT_MET"))
            for member in MechanismFixture.order {
                let b = try await h.browser("clerk-\(member.lowercased())")
                let page = try await h.get("/consultations/\(ids.consultation)", b)
                #expect(page.body.contains("/consultations/\(ids.consultation)/position"))
                let reserved = try await h.post("/consultations/\(ids.consultation)/position", b, [("item", String(ids.item)), ("stance", "reserve")])
                #expect(reserved.status == .unprocessableContent)  // a reservation needs a note
                #expect(try await h.post("/consultations/\(ids.consultation)/position", b, [("item", String(ids.item)), ("stance", "agree")]).status == .seeOther)
            }
            let ready = try await h.get("/consultations/\(ids.consultation)", gs)
            #expect(ready.body.contains("同意 5") && ready.body.contains("按此规则现在决定将为：通过"))
            #expect(try await h.post("/consultations/\(ids.consultation)/decide", gs, [("item", String(ids.item))]).status == .seeOther)
            let decided = try await h.get("/consultations/\(ids.consultation)", gs)
            #expect(decided.body.contains("决定文号 2026-001"))
            let closed = try await h.post("/consultations/\(ids.consultation)/close", gs, [("minutes", "一致通过。")])
            #expect(closed.status == .seeOther)
            #expect(try await h.fixture.service.consultation(by: h.fixture.clerk("GS"), id: ids.consultation).state == .closed)
        }
    }

    /// An auditor takes a decision's inclusion proof away from its consultation page: the same
    /// AuditDesk.prove as the console's, against the newest signed checkpoint; a clerk is offered
    /// no link and refused the file.
    @Test func anAuditorDownloadsADecisionsProof() async throws {
        let signer = try SignedNote.Signer(encoded: try SignedNote.Signer.generate(name: "nw5-audit").signer)
        let verifier = try SignedNote.Verifier(encoded: signer.verifierKey)
        let log = CheckpointLog(path: temporaryPath("web-checkpoints"))
        defer { try? FileManager.default.removeItem(atPath: log.path) }
        try await WebHarness.with(auditKey: verifier, checkpointLog: log) { h in
            let ids = try await Self.seed(h.fixture)
            for member in MechanismFixture.order {
                let b = try await h.browser("clerk-\(member.lowercased())")
                _ = try await h.post("/consultations/\(ids.consultation)/position", b, [("item", String(ids.item)), ("stance", "agree")])
            }
            let gs = try await h.browser("clerk-gs")
            #expect(try await h.post("/consultations/\(ids.consultation)/decide", gs, [("item", String(ids.item))]).status == .seeOther)
            _ = try await AuditCheckpointer(pool: h.fixture.pool, signer: signer, log: log).checkpoint(now: h.fixture.clock.now())

            let auditor = try await h.browser("auditor")
            let page = try await h.get("/consultations/\(ids.consultation)", auditor)
            #expect(page.body.contains("href=\"/audit/proof/2026-001\"") && page.body.contains("下载审计证明"))
            #expect(!(try await h.get("/consultations/\(ids.consultation)", gs)).body.contains("/audit/proof/"))

            let file = try await h.get("/audit/proof/2026-001", auditor)
            #expect(file.status == .ok)
            #expect(file.headers[.contentType] == "application/json; charset=utf-8")
            #expect(file.headers[.contentDisposition] == "attachment; filename=\"lunzhi-proof-2026-001.json\"")
            let proof = try InclusionProof(json: file.body)
            let checkpoint = try proof.verify(with: verifier)
            #expect(proof.event.contains("consultation.decide") && proof.event.contains("2026-001"))
            #expect(checkpoint.size == proof.treeSize)

            let refused = try await h.get("/audit/proof/2026-001", gs)
            #expect(refused.status == .forbidden && refused.body.contains("FORBIDDEN"), "\(refused.status) \(refused.body.prefix(400))")
            let missing = try await h.get("/audit/proof/2026-999", auditor)
            #expect(missing.status == .notFound)
            // Hostile numbers get a page with a stable name, never a server error or a file.
            for hostile in ["%FF%FE", "2026-001%00", String(repeating: "9", count: 300), "..%2F..%2Fetc"] {
                let page = try await h.get("/audit/proof/" + hostile, auditor)
                #expect([.badRequest, .notFound, .unprocessableContent].contains(page.status), "\(hostile): \(page.status)")
                #expect(["INVALID_TEXT", "INVALID_ARGUMENT", "NOT_FOUND"].contains { page.body.contains($0) }, "\(hostile)")
                #expect(page.headers[.contentDisposition] == nil, "\(hostile)")
            }
        }
    }
}
