import Foundation
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct ItemAndConsultationTests {
    /// Files and submits an item for a member, then the chair (GS in 2026) accepts it.
    func acceptedItem(_ f: MechanismFixture, _ member: String, _ title: String, track: Track = .regular) async throws
        -> AgendaItem
    {
        let item = try await f.service.fileItem(
            by: f.clerk(member),
            ItemDraft(
                category: .majorProject, track: track, title: title, body: "正文",
                justification: track == .special ? "理由" : nil))
        _ = try await f.service.submitItem(by: f.clerk(member), id: item.id)
        return try await f.service.acceptItem(by: f.clerk("GS"), id: item.id)
    }

    /// A written consultation convened by the chair (GS), open for agenda for an hour and for
    /// responses for five days.
    func writtenConsultation(_ f: MechanismFixture, rule: ConsultationRule? = nil) async throws -> Consultation {
        let now = f.clock.now()
        return try await f.service.convene(
            by: f.clerk("GS"),
            ConsultationPlan(
                kind: .written, agendaDeadline: now.addingTimeInterval(3600),
                responseDeadline: now.addingTimeInterval(5 * 86_400), rule: rule))
    }

    @Test func theWholeMeetingScenario() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            // Items from several members; the chair accepts, returns; the filer revises and resubmits.
            let a = try await acceptedItem(f, "SN", "西部陆海新通道合作")
            let b = try await acceptedItem(f, "QH", "盐湖化工项目协调")
            var c = try await s.fileItem(
                by: f.clerk("XJ"), ItemDraft(category: .policy, track: .regular, title: "税收分享"))
            c = try await s.submitItem(by: f.clerk("XJ"), id: c.id)
            c = try await s.returnItem(by: f.clerk("GS"), id: c.id, reason: "请补充测算")
            #expect(c.state == .returned && c.returnReason == "请补充测算")
            c = try await s.reviseItem(
                by: f.clerk("XJ"), id: c.id,
                ItemDraft(category: .policy, track: .regular, title: "税收分享（修订）", body: "测算见附件"))
            c = try await s.submitItem(by: f.clerk("XJ"), id: c.id)
            c = try await s.acceptItem(by: f.clerk("GS"), id: c.id)
            let d = try await acceptedItem(f, "NX", "数据中心用电")

            // Convene a meeting, table, open, positions, decide.
            let meeting = try await s.convene(
                by: f.clerk("GS"),
                ConsultationPlan(
                    kind: .meeting, at: f.clock.now().addingTimeInterval(14 * 86_400), place: "兰州",
                    agendaDeadline: f.clock.now().addingTimeInterval(7 * 86_400)))
            #expect(meeting.state == .planned && meeting.chairMember == "GS")
            _ = try await s.table(by: f.clerk("GS"), consultation: meeting.id, items: [a.id, b.id, c.id, d.id])
            _ = try await s.openConsultation(by: f.clerk("GS"), id: meeting.id)
            for member in MechanismFixture.order {
                _ = try await s.recordPosition(
                    by: f.clerk(member), consultation: meeting.id, item: a.id, stance: .agree)
                _ = try await s.recordPosition(
                    by: f.clerk(member), consultation: meeting.id, item: b.id, stance: member == "SN" ? .object : .agree
                )
            }
            // A position can change until the item is decided.
            _ = try await s.recordPosition(
                by: f.clerk("NX"), consultation: meeting.id, item: a.id, stance: .reserve, note: "需报省政府")
            let adopted = try await s.decide(by: f.clerk("GS"), consultation: meeting.id, item: a.id)
            #expect(adopted == Decision(itemID: a.id, outcome: .adopted, number: "2026-001", bySilence: false))
            let rejected = try await s.decide(by: f.clerk("GS"), consultation: meeting.id, item: b.id)
            #expect(rejected.outcome == .rejected && rejected.number == nil)
            // Item c: only two members have spoken — not decidable; the chair defers it.
            _ = try await s.recordPosition(by: f.clerk("GS"), consultation: meeting.id, item: c.id, stance: .agree)
            let waiting = await #expect(throws: DomainError.self) {
                try await s.decide(by: f.clerk("GS"), consultation: meeting.id, item: c.id)
            }
            #expect(waiting?.name == .quorumNotMet)
            #expect(waiting?.message.contains("SN, QH, NX, XJ") == true)
            _ = try await s.deferItem(by: f.clerk("GS"), consultation: meeting.id, item: c.id, reason: "下次会议")
            #expect(try await s.item(by: f.auditorID, id: c.id).state == .accepted)
            // Closing needs every item decided.
            let early = await #expect(throws: DomainError.self) {
                try await s.closeConsultation(by: f.clerk("GS"), id: meeting.id, minutes: "纪要")
            }
            #expect(early?.name == .wrongState)
            for member in MechanismFixture.order {
                _ = try await s.recordPosition(
                    by: f.clerk(member), consultation: meeting.id, item: d.id, stance: .abstain)
            }
            #expect(try await s.decide(by: f.clerk("GS"), consultation: meeting.id, item: d.id).number == "2026-002")
            let closed = try await s.closeConsultation(
                by: f.clerk("GS"), id: meeting.id, minutes: "会议纪要：通过两项，否决一项，推迟一项。")
            #expect(closed.state == .closed)
            #expect(closed.agenda.map(\.outcome) == [.adopted, .rejected, .deferred, .adopted])
            #expect(closed.agenda[0].positions["NX"]?.stance == .reserve)
            #expect(try await s.item(by: f.auditorID, id: a.id).state == .adopted)
            #expect(try await s.item(by: f.auditorID, id: b.id).state == .rejected)

            // The deferred item goes to the next consultation, in 2027 under QH, and numbering restarts.
            f.clock.set(shanghai: .day("2027-02-01"))
            let next = try await s.convene(
                by: f.clerk("QH"),
                ConsultationPlan(
                    kind: .meeting, at: f.clock.now().addingTimeInterval(86_400 * 10),
                    agendaDeadline: f.clock.now().addingTimeInterval(86_400)))
            _ = try await s.table(by: f.clerk("QH"), consultation: next.id, items: [c.id])
            _ = try await s.openConsultation(by: f.clerk("QH"), id: next.id)
            for member in MechanismFixture.order {
                _ = try await s.recordPosition(by: f.clerk(member), consultation: next.id, item: c.id, stance: .agree)
            }
            #expect(try await s.decide(by: f.clerk("QH"), consultation: next.id, item: c.id).number == "2027-001")

            // Every change left an audit event and reminders went out.
            let events: Int = try await f.pool.query("SELECT count(*) AS n FROM audit_event WHERE action LIKE 'item.%'")
                .single().decode("n")
            #expect(events >= 20)
            let convened: Int = try await f.pool.query(
                "SELECT count(*) AS n FROM reminder WHERE kind = 'consultation_convened'"
            ).single().decode("n")
            #expect(convened == 10)
            let returned = try await f.pool.query("SELECT recipient_member FROM reminder WHERE kind = 'item_returned'")
            #expect(try returned.map { try $0.decode("recipient_member", as: String.self) } == ["XJ"])
        }
    }

    @Test func refusalsHaveTheirNamesAndChangeNothing() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            let item = try await s.fileItem(
                by: f.clerk("SN"), ItemDraft(category: .other, track: .regular, title: "原题"))
            _ = try await s.submitItem(by: f.clerk("SN"), id: item.id)
            let before = try await f.counts()
            func refused(_ name: DomainError.Name, _ body: () async throws -> Void) async {
                let error = await #expect(throws: DomainError.self) { try await body() }
                #expect(error?.name == name, "expected \(name), got \(String(describing: error))")
            }
            await refused(.notChair) { _ = try await s.acceptItem(by: f.clerk("SN"), id: item.id) }
            await refused(.notChair) { _ = try await s.returnItem(by: f.clerk("QH"), id: item.id, reason: "no") }
            await refused(.notOwnMember) { _ = try await s.withdrawItem(by: f.clerk("QH"), id: item.id) }
            await refused(.wrongState) { _ = try await s.submitItem(by: f.clerk("SN"), id: item.id) }
            await refused(.notFound) { _ = try await s.acceptItem(by: f.clerk("GS"), id: 999_999) }
            await refused(.forbidden) {
                _ = try await s.fileItem(by: f.operatorID, ItemDraft(category: .other, track: .regular, title: "x"))
            }
            await refused(.forbidden) {
                _ = try await s.fileItem(by: f.auditorID, ItemDraft(category: .other, track: .regular, title: "x"))
            }
            await refused(.justificationRequired) {
                _ = try await s.fileItem(by: f.clerk("SN"), ItemDraft(category: .other, track: .special, title: "特办"))
            }
            await refused(.textTooLong) {
                _ = try await s.fileItem(
                    by: f.clerk("SN"),
                    ItemDraft(category: .other, track: .regular, title: String(repeating: "题", count: 201)))
            }
            await refused(.textTooLong) {
                _ = try await s.fileItem(
                    by: f.clerk("SN"),
                    ItemDraft(
                        category: .other, track: .regular, title: "t", body: String(repeating: "x", count: 20_001)))
            }
            await refused(.invalidText) {
                _ = try await s.fileItem(
                    by: f.clerk("SN"), ItemDraft(category: .other, track: .regular, title: "nul\u{0}byte"))
            }
            await refused(.invalidText) {
                _ = try await s.fileItem(
                    by: f.clerk("SN"), ItemDraft(category: .other, track: .regular, title: "bell\u{7}"))
            }
            await refused(.invalidArgument) {
                _ = try await s.fileItem(by: f.clerk("SN"), ItemDraft(category: .other, track: .regular, title: "   "))
            }
            await refused(.notChair) {
                _ = try await s.convene(
                    by: f.clerk("SN"),
                    ConsultationPlan(
                        kind: .written, agendaDeadline: f.clock.now().addingTimeInterval(86_400),
                        responseDeadline: f.clock.now().addingTimeInterval(86_400 * 3)))
            }
            await refused(.invalidArgument) {
                _ = try await s.convene(
                    by: f.clerk("GS"),
                    ConsultationPlan(
                        kind: .meeting, agendaDeadline: f.clock.now().addingTimeInterval(86_400), rule: .silence))
            }
            await refused(.deadlinePassed) {
                _ = try await s.convene(
                    by: f.clerk("GS"),
                    ConsultationPlan(
                        kind: .meeting, at: f.clock.now(), agendaDeadline: f.clock.now().addingTimeInterval(-1)))
            }
            #expect(try await f.counts() == before)
            // Exactly 200 characters of Chinese, hostile text, and 4-byte characters are fine and stored verbatim.
            let title = String(repeating: "题", count: 199) + "😀"
            let stored = try await s.fileItem(
                by: f.clerk("SN"),
                ItemDraft(category: .other, track: .regular, title: title, body: "'; DROP TABLE agenda_item; --\n\"\\"))
            #expect(try await s.item(by: f.auditorID, id: stored.id).title == title)
            #expect(try await s.item(by: f.auditorID, id: stored.id).body == "'; DROP TABLE agenda_item; --\n\"\\")
        }
    }

    @Test func tablingRespectsTheAgendaDeadlineExceptForUrgentItems() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            let regular = try await acceptedItem(f, "SN", "一般")
            let urgent = try await acceptedItem(f, "NX", "急事", track: .urgent)
            let submitted = try await s.fileItem(
                by: f.clerk("QH"), ItemDraft(category: .other, track: .regular, title: "未受理"))
            let meeting = try await s.convene(
                by: f.clerk("GS"),
                ConsultationPlan(
                    kind: .extraordinary, at: f.clock.now().addingTimeInterval(3 * 86_400),
                    agendaDeadline: f.clock.now().addingTimeInterval(86_400)))
            let notAccepted = await #expect(throws: DomainError.self) {
                try await s.table(by: f.clerk("GS"), consultation: meeting.id, items: [submitted.id])
            }
            #expect(notAccepted?.name == .wrongState)
            f.clock.advance(days: 2)
            let late = await #expect(throws: DomainError.self) {
                try await s.table(by: f.clerk("GS"), consultation: meeting.id, items: [regular.id])
            }
            #expect(late?.name == .deadlinePassed)
            #expect(
                try await s.table(by: f.clerk("GS"), consultation: meeting.id, items: [urgent.id]).agenda.map(\.itemID)
                    == [urgent.id])
            // Cancelling sends its undecided items back to accepted.
            _ = try await s.cancelConsultation(by: f.clerk("GS"), id: meeting.id, reason: "改期")
            #expect(try await s.item(by: f.auditorID, id: urgent.id).state == .accepted)
            let positions = await #expect(throws: DomainError.self) {
                try await s.recordPosition(by: f.clerk("SN"), consultation: meeting.id, item: urgent.id, stance: .agree)
            }
            #expect(positions?.name == .wrongState)
        }
    }

    @Test func writtenProceduresUnderBothRules() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            let one = try await acceptedItem(f, "SN", "书面一致")
            let two = try await acceptedItem(f, "QH", "书面默许")
            let consent = try await writtenConsultation(f)
            #expect(consent.rule == .consent)
            let silence = try await writtenConsultation(f, rule: .silence)
            #expect(silence.rule == .silence)
            _ = try await s.table(by: f.clerk("GS"), consultation: consent.id, items: [one.id])
            _ = try await s.table(by: f.clerk("GS"), consultation: silence.id, items: [two.id])
            _ = try await s.openConsultation(by: f.clerk("GS"), id: consent.id)
            _ = try await s.openConsultation(by: f.clerk("GS"), id: silence.id)
            for member in ["SN", "GS"] {
                _ = try await s.recordPosition(
                    by: f.clerk(member), consultation: consent.id, item: one.id, stance: .agree)
                _ = try await s.recordPosition(
                    by: f.clerk(member), consultation: silence.id, item: two.id, stance: .agree)
            }
            // Before the deadline neither can be decided.
            await #expect(throws: DomainError.self) {
                try await s.decide(by: f.clerk("GS"), consultation: silence.id, item: two.id)
            }
            f.clock.advance(days: 6)
            // After it: silence adopts; consent still waits for every member — silence is not agreement.
            let bySilence = try await s.decide(by: f.clerk("GS"), consultation: silence.id, item: two.id)
            #expect(bySilence.outcome == .adopted && bySilence.bySilence)
            let waiting = await #expect(throws: DomainError.self) {
                try await s.decide(by: f.clerk("GS"), consultation: consent.id, item: one.id)
            }
            #expect(waiting?.name == .quorumNotMet)
            let late = await #expect(throws: DomainError.self) {
                try await s.recordPosition(by: f.clerk("XJ"), consultation: consent.id, item: one.id, stance: .agree)
            }
            #expect(late?.name == .deadlinePassed)
            let reason: String? = try await f.pool.query(
                "SELECT reason FROM audit_event WHERE action = 'consultation.decide' ORDER BY seq DESC LIMIT 1"
            ).single().decode("reason")
            #expect(reason?.contains("silence") == true)
        }
    }

    @Test func theListIsNewestFirstWithEachAgendaInOrder() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            let one = try await acceptedItem(f, "SN", "一")
            let two = try await acceptedItem(f, "QH", "二")
            let first = try await writtenConsultation(f)
            let second = try await writtenConsultation(f)
            let third = try await writtenConsultation(f)
            // Tabled in the order two, one: the agenda keeps that order, with each item's positions.
            _ = try await s.table(by: f.clerk("GS"), consultation: second.id, items: [two.id, one.id])
            _ = try await s.openConsultation(by: f.clerk("GS"), id: second.id)
            _ = try await s.recordPosition(by: f.clerk("SN"), consultation: second.id, item: one.id, stance: .agree)
            _ = try await s.recordPosition(by: f.clerk("XJ"), consultation: second.id, item: one.id, stance: .object)
            _ = try await s.cancelConsultation(by: f.clerk("GS"), id: third.id, reason: "改期")

            let all = try await s.consultations(by: f.clerk("NX"))
            #expect(all.map(\.id) == [third.id, second.id, first.id])
            #expect(all[1].agenda.map(\.itemID) == [two.id, one.id])
            #expect(all[1].agenda[0].positions.isEmpty)
            #expect(all[1].agenda[1].positions.mapValues(\.stance) == ["SN": .agree, "XJ": .object])
            #expect(all[0].agenda.isEmpty && all[2].agenda.isEmpty)
            // The same consultation as CONSULT SHOW reads it.
            #expect(all[1] == (try await s.consultation(by: f.clerk("NX"), id: second.id)))
            #expect(try await s.consultations(by: f.clerk("NX"), state: .cancelled).map(\.id) == [third.id])
            #expect(try await s.consultations(by: f.clerk("NX"), state: .open).map(\.id) == [second.id])
            #expect(try await s.consultations(by: f.clerk("NX"), state: .closed).isEmpty)
        }
    }

    /// The reads the console serves most (CONSULT SHOW, ITEM SHOW, CHAIR) are prepared once per
    /// connection and should then run on PostgreSQL's generic plan, not be planned on every call.
    /// CONSULT SHOW selected its consultation with `= ANY($1)`, for which PostgreSQL kept choosing
    /// custom plans: planning the 4-table join was most of that read's cost (docs/performance.md).
    @Test func theBusiestReadsArePlannedOncePerConnection() async throws {
        try await MechanismFixture.with { f in
            let item = try await acceptedItem(f, "QH", "计划缓存")
            let meeting = try await f.service.convene(
                by: f.clerk("GS"),
                ConsultationPlan(
                    kind: .meeting, at: f.clock.now().addingTimeInterval(14 * 86_400), place: "西宁",
                    agendaDeadline: f.clock.now().addingTimeInterval(7 * 86_400)))
            _ = try await f.service.table(by: f.clerk("GS"), consultation: meeting.id, items: [item.id])
            _ = try await f.service.openConsultation(by: f.clerk("GS"), id: meeting.id)
            _ = try await f.service.recordPosition(
                by: f.clerk("SN"), consultation: meeting.id, item: item.id, stance: .agree)

            // One connection, so that its prepared statements can be inspected afterwards.
            let pool = PostgresPool(configuration: f.pool.configuration, options: .init(maximumConnections: 1))
            let service = Cooperation(pool: pool, clock: f.clock, bcryptCost: 4)
            for _ in 0..<12 {
                let shown = try await service.consultation(by: f.clerk("NX"), id: meeting.id)
                #expect(shown.agenda.first?.positions["SN"]?.0 == .agree)
                _ = try await service.item(by: f.clerk("NX"), id: item.id)
                _ = try await service.chair(by: f.clerk("NX"))
            }
            let statements = try await pool.query(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
            await pool.close()
            for (read, marker) in [
                ("CONSULT SHOW", "FROM consultation c"), ("ITEM SHOW", "FROM agenda_item WHERE id = $1"),
                ("CHAIR", "AS known"),
            ] {
                let row = try statements.first { try $0.decode("statement", as: String.self).contains(marker) }
                let generic: Int = try row?.decode("generic_plans") ?? 0
                let custom: Int = try row?.decode("custom_plans") ?? 0
                #expect(row != nil && generic > 0, "\(read): \(generic) generic plans, \(custom) custom")
            }
        }
    }
}
