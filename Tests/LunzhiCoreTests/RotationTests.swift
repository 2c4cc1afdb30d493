import Foundation
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct RotationTests {
    @Test func theChairOfAnyDateAndTheMoveOn1January() async throws {
        try await MechanismFixture.with(start: .day("2026-12-31")) { f in
            let s = f.service
            #expect(try await s.chair(by: f.auditorID, on: .day("2015-06-01"))?.member == "SN")
            #expect(try await s.chair(by: f.auditorID)?.member == "GS")
            #expect(try await s.chair(by: f.auditorID, on: .day("2030-12-31"))?.member == "SN")
            #expect(try await s.chair(by: f.auditorID, on: .day("2031-01-01")) == nil)
            // GS accepts on 31 December; at 00:00 Shanghai on 1 January QH has the powers, GS not.
            let a = try await s.fileItem(
                by: f.clerk("NX"), ItemDraft(category: .policy, track: .regular, title: "年末议题"))
            _ = try await s.submitItem(by: f.clerk("NX"), id: a.id)
            let b = try await s.fileItem(
                by: f.clerk("NX"), ItemDraft(category: .policy, track: .regular, title: "新年议题"))
            _ = try await s.submitItem(by: f.clerk("NX"), id: b.id)
            f.clock.set(shanghai: .day("2026-12-31"), hour: 23)
            #expect(try await s.acceptItem(by: f.clerk("GS"), id: a.id).state == .accepted)
            f.clock.set(shanghai: .day("2027-01-01"), hour: 0)
            let refused = await #expect(throws: DomainError.self) {
                try await s.acceptItem(by: f.clerk("GS"), id: b.id)
            }
            #expect(refused?.name == .notChair)
            #expect(refused?.message.contains("QH") == true)
            #expect(try await s.acceptItem(by: f.clerk("QH"), id: b.id).state == .accepted)
        }
    }

    @Test func overlappingTermsAreRefusedByTheDatabase() async throws {
        try await MechanismFixture.with { f in
            let before = try await f.counts()
            let error = await #expect(throws: DomainError.self) {
                try await f.service.planRotation(by: f.operatorID, order: ["NX"], fromYear: 2030, years: 2)
            }
            #expect(error?.name == .termOverlap)
            #expect(try await f.counts() == before)
            // And straight in SQL, bypassing the service: the exclusion constraint holds.
            let sql = await #expect(throws: PostgresError.self) {
                try await f.pool.query(
                    "INSERT INTO chair_term (mechanism_code, member_code, term) VALUES ('NW5', 'NX', '[2026-06-01,2026-07-01)')"
                )
            }
            #expect(sql?.code == .exclusionViolation)
            #expect(sql?.constraintName == "chair_term_no_overlap")
            // Only operators plan.
            let clerk = await #expect(throws: DomainError.self) {
                try await f.service.planRotation(by: f.clerk("GS"), order: ["GS"], fromYear: 2040, years: 1)
            }
            #expect(clerk?.name == .forbidden)
        }
    }

    @Test func theScheduleReportsGaps() async throws {
        try await MechanismFixture.with { f in
            let entries = try await f.service.schedule(
                by: f.auditorID, from: .day("2029-01-01"), until: .day("2033-01-01"))
            #expect(entries.map(\.kind) == [.term, .term, .gap])
            #expect(entries.last?.from == .day("2031-01-01"))
            let early = try await f.service.schedule(
                by: f.auditorID, from: .day("2014-01-01"), until: .day("2015-06-01"))
            #expect(early.map(\.kind) == [.gap, .term])
        }
    }

    @Test func aSwapNeedsBothConsents() async throws {
        try await MechanismFixture.with { f in
            let s = f.service
            // 2027 is QH's, 2028 NX's. QH asks (its own consent); NX has not consented yet.
            let asked = try await s.requestSwap(
                by: f.clerk("QH"), years: (2027, 2028), reason: "QH hosts a national event in 2028")
            #expect(asked.state == "pending")
            #expect(asked.missing == ["NX"])
            #expect(asked.years == [2027, 2028] && asked.reason == "QH hosts a national event in 2028")
            #expect(try await s.chair(by: f.auditorID, on: .day("2027-05-01"))?.member == "QH")
            // A third member cannot consent for NX.
            let other = await #expect(throws: DomainError.self) {
                try await s.consent(by: f.clerk("XJ"), exception: asked.id)
            }
            #expect(other?.name == .notOwnMember)
            let done = try await s.consent(by: f.clerk("NX"), exception: asked.id)
            #expect(done.state == "applied")
            #expect(try await s.chair(by: f.auditorID, on: .day("2027-05-01"))?.member == "NX")
            #expect(try await s.chair(by: f.auditorID, on: .day("2028-05-01"))?.member == "QH")
            // The current term cannot be swapped.
            let current = await #expect(throws: DomainError.self) {
                try await s.requestSwap(by: f.operatorID, years: (2026, 2029), reason: "late")
            }
            #expect(current?.name == .notFuture)
        }
    }

    /// A pending swap is declined by the member asked, with a reason on record; a third member cannot,
    /// and nothing is withdrawn twice or after it applied.
    @Test func aPendingExceptionIsWithdrawnOrDeclined() async throws {
        try await MechanismFixture.with { f in
            let s = f.service
            let asked = try await s.requestSwap(by: f.clerk("QH"), years: (2027, 2028), reason: "QH hosts an event")
            let before = try await f.counts()
            let third = await #expect(throws: DomainError.self) {
                try await s.withdrawException(by: f.clerk("XJ"), exception: asked.id, reason: "not ours")
            }
            #expect(third?.name == .notOwnMember && third?.message == "only clerks of QH or NX or an operator may withdraw or decline it")
            let blank = await #expect(throws: DomainError.self) {
                try await s.withdrawException(by: f.clerk("NX"), exception: asked.id, reason: " \u{200B} ")
            }
            #expect(blank?.name == .invalidArgument)
            #expect(try await f.counts() == before)
            let declined = try await s.withdrawException(by: f.clerk("NX"), exception: asked.id, reason: "NX prefers 2028")
            #expect(declined.state == "withdrawn")
            // The terms are as planned, the consent no longer possible, the reason on record.
            #expect(try await s.chair(by: f.auditorID, on: .day("2027-05-01"))?.member == "QH")
            let late = await #expect(throws: DomainError.self) { try await s.consent(by: f.clerk("NX"), exception: asked.id) }
            #expect(late?.name == .wrongState && late?.state == "withdrawn")
            let again = await #expect(throws: DomainError.self) {
                try await s.withdrawException(by: f.operatorID, exception: asked.id, reason: "again")
            }
            #expect(again?.name == .wrongState)
            let event = try await f.pool.query(
                "SELECT reason, before->>'state' AS b, after->>'state' AS a FROM audit_event WHERE action = 'rotation.withdraw'"
            ).single()
            #expect(try event.decode("reason", as: String.self) == "NX prefers 2028")
            #expect(try event.decode("b", as: String.self) == "pending" && event.decode("a", as: String.self) == "withdrawn")
            // An applied skip cannot be withdrawn, even by an operator.
            let skip = try await s.requestSkip(by: f.clerk("XJ"), year: 2029, reason: "XJ gives up its turn")
            #expect(skip.state == "applied")
            let applied = await #expect(throws: DomainError.self) {
                try await s.withdrawException(by: f.operatorID, exception: skip.id, reason: "too late")
            }
            #expect(applied?.name == .wrongState && applied?.state == "applied")
        }
    }

    @Test func aSkipMovesLaterTermsUp() async throws {
        try await MechanismFixture.with { f in
            let s = f.service
            // Operator asks for XJ to skip 2029; XJ's consent applies it.
            let asked = try await s.requestSkip(by: f.operatorID, year: 2029, reason: "XJ asks to give up its turn")
            #expect(asked.state == "pending" && asked.missing == ["XJ"] && asked.years == [2029])
            _ = try await s.consent(by: f.clerk("XJ"), exception: asked.id)
            var chairs: [String] = []
            for year in 2028...2030 {
                chairs.append(
                    try await s.chair(by: f.auditorID, on: CalendarDate(year: year, month: 6, day: 1)!)!.member)
            }
            #expect(chairs == ["NX", "SN", "XJ"])
        }
    }

    @Test func anActingChairHoldsThePowersForItsPeriod() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            let refused = await #expect(throws: DomainError.self) {
                try await s.designateActingChair(
                    by: f.clerk("SN"), from: .day("2026-04-01"), until: .day("2026-05-01"), reason: "x")
            }
            #expect(refused?.name == .notChair)
            try await s.designateActingChair(
                by: f.clerk("GS"), from: .day("2026-04-01"), until: .day("2026-05-01"), reason: "GS's director abroad")
            let april = try await s.chair(by: f.auditorID, on: .day("2026-04-15"))
            #expect(april?.member == "QH" && april?.acting == true && april?.termMember == "GS")
            f.clock.set(shanghai: .day("2026-04-15"))
            let item = try await s.fileItem(by: f.clerk("SN"), ItemDraft(category: .other, track: .regular, title: "t"))
            _ = try await s.submitItem(by: f.clerk("SN"), id: item.id)
            await #expect(throws: DomainError.self) { try await s.acceptItem(by: f.clerk("GS"), id: item.id) }
            #expect(try await s.acceptItem(by: f.clerk("QH"), id: item.id).state == .accepted)
            f.clock.set(shanghai: .day("2026-05-01"))
            #expect(try await s.chair(by: f.auditorID)?.member == "GS")
        }
    }

    /// Security finding 3: rotation changes stay within the rules. The chair lends only its own
    /// term's powers, from today on; it can end them early; nothing changes the past.
    @Test func anActingPeriodLiesWithinTheChairsOwnTermFromTodayOn() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            func refusal(_ from: String, _ until: String, member: String = "XJ") async -> DomainError? {
                await #expect(throws: DomainError.self) {
                    try await s.designateActingChair(
                        by: f.clerk("GS"), member: member, from: .day(from), until: .day(until), reason: "x")
                }
            }
            let before = try await f.counts()
            // QH's 2027 term, the past, a range past the end of GS's term, a date absurdly far.
            #expect(await refusal("2027-01-01", "2028-01-01")?.name == .invalidArgument)
            #expect(await refusal("2020-03-01", "2020-04-01")?.name == .notFuture)
            #expect(await refusal("2026-03-01", "2026-04-01")?.name == .notFuture)
            #expect(await refusal("2026-12-01", "2027-01-02")?.name == .invalidArgument)
            #expect(await refusal("2026-06-01", "10000-01-01")?.name == .invalidArgument)
            #expect(try await f.counts() == before)
            #expect(try await s.chair(by: f.auditorID, on: .day("2020-03-15"))?.acting == false)
            #expect(try await s.chair(by: f.auditorID, on: .day("2027-06-01"))?.member == "QH")
            // Within the term, from today: accepted. Another member's clerk cannot end it.
            let id = try await s.designateActingChair(
                by: f.clerk("GS"), member: "NX", from: .day("2026-03-02"), until: .day("2026-06-01"), reason: "abroad")
            let other = await #expect(throws: DomainError.self) {
                try await s.endActingChair(by: f.clerk("NX"), id: id, reason: "mine now")
            }
            #expect(other?.name == .notChair)
            // Under way: ending it keeps the days already acted and ends it today.
            f.clock.set(shanghai: .day("2026-04-10"))
            try await s.endActingChair(by: f.clerk("GS"), id: id, reason: "back early")
            #expect(try await s.chair(by: f.auditorID, on: .day("2026-04-09"))?.member == "NX")
            #expect(try await s.chair(by: f.auditorID, on: .day("2026-04-10"))?.member == "GS")
            // Not begun: revoked whole; ended: cannot change.
            let later = try await s.designateActingChair(
                by: f.clerk("GS"), member: "SN", from: .day("2026-07-01"), until: .day("2026-08-01"), reason: "leave")
            try await s.endActingChair(by: f.operatorID, id: later, reason: "plans changed")
            #expect(try await s.chair(by: f.auditorID, on: .day("2026-07-15"))?.member == "GS")
            f.clock.set(shanghai: .day("2026-09-01"))
            let past = await #expect(throws: DomainError.self) {
                try await s.endActingChair(by: f.clerk("GS"), id: id, reason: "again")
            }
            #expect(past?.name == .notFuture)
            let actions: [String] = try await f.pool.query(
                "SELECT action FROM audit_event WHERE action LIKE 'rotation.%acting' ORDER BY seq"
            ).map { try $0.decode("action") }
            #expect(actions == ["rotation.designate_acting", "rotation.end_acting", "rotation.designate_acting",
                "rotation.revoke_acting"])
        }
    }

    /// A swap asked for in time, whose last consent arrives after one of its terms has begun, is
    /// refused at apply time.
    @Test func aSwapWhoseConsentArrivesTooLateIsRefused() async throws {
        try await MechanismFixture.with(start: .day("2026-12-20")) { f in
            let s = f.service
            let asked = try await s.requestSwap(by: f.clerk("QH"), years: (2027, 2028), reason: "national event")
            f.clock.set(shanghai: .day("2027-01-02"))
            let late = await #expect(throws: DomainError.self) {
                try await s.consent(by: f.clerk("NX"), exception: asked.id)
            }
            #expect(late?.name == .notFuture)
            #expect(try await s.chair(by: f.auditorID, on: .day("2027-06-01"))?.member == "QH")
        }
    }
}
