import Foundation
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct ApprovalAndProjectTests {
    func project(_ f: MechanismFixture, _ member: String, sub: String = "", yi: String = "12.5") async throws -> Project
    {
        try await f.service.addProject(
            by: f.clerk(member),
            ProjectDraft(
                name: "\(member) 项目 \(sub)", enterprises: ["某某集团"], investment: Decimal(string: yi)! * 100_000_000,
                industry: .energyMaterials, subIndustry: sub, source: .eastCentral, place: "某地"))
    }

    @Test func approvalsOnAllThreeTracks() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            let p = try await project(f, "SN")
            // Regular: requester SN, chair GS, and QH named; all grant → approved.
            var regular = try await s.requestApproval(
                by: f.clerk("SN"), ApprovalRequest(projectID: p.id, track: .regular, ask: "用地指标支持", parties: ["QH"]))
            #expect(regular.parties.map(\.member) == ["SN", "GS", "QH"])
            #expect(regular.dueAt == f.clock.now().addingTimeInterval(30 * 86_400))
            #expect(regular.screening == Screening(catalogueVersion: 1, screenedCode: nil))
            for member in ["SN", "GS"] {
                regular = try await s.grant(by: f.clerk(member), approval: regular.id, note: "同意")
            }
            #expect(regular.state == .pending)
            let twice = await #expect(throws: DomainError.self) {
                try await s.grant(by: f.clerk("GS"), approval: regular.id)
            }
            #expect(twice?.name == .alreadyAnswered)
            let stranger = await #expect(throws: DomainError.self) {
                try await s.grant(by: f.clerk("XJ"), approval: regular.id)
            }
            #expect(stranger?.name == .notParty)
            regular = try await s.grant(by: f.clerk("QH"), approval: regular.id)
            #expect(regular.state == .approved)
            let closed = await #expect(throws: DomainError.self) {
                try await s.deny(by: f.clerk("SN"), approval: regular.id, reason: "后悔")
            }
            #expect(closed?.name == .wrongState)

            // Urgent: due in 3 days; one deny → denied.
            let urgent = try await s.requestApproval(
                by: f.clerk("SN"), ApprovalRequest(projectID: p.id, track: .urgent, ask: "急需电力接入"))
            #expect(urgent.dueAt == f.clock.now().addingTimeInterval(3 * 86_400))
            #expect(try await s.deny(by: f.clerk("GS"), approval: urgent.id, reason: "不符合政策").state == .denied)

            // Special: needs a justification; due in 10 days.
            let missing = await #expect(throws: DomainError.self) {
                try await s.requestApproval(
                    by: f.clerk("SN"), ApprovalRequest(projectID: p.id, track: .special, ask: "特殊支持"))
            }
            #expect(missing?.name == .justificationRequired)
            let special = try await s.requestApproval(
                by: f.clerk("SN"),
                ApprovalRequest(projectID: p.id, track: .special, ask: "特殊支持", justification: "国家重点项目"))
            #expect(special.dueAt == f.clock.now().addingTimeInterval(10 * 86_400))

            // Overdue: an urgent request left unanswered past its due time.
            let late = try await s.requestApproval(
                by: f.clerk("SN"), ApprovalRequest(projectID: p.id, track: .urgent, ask: "加急"))
            f.clock.advance(days: 4)
            let overdue = try await s.approvals(by: f.auditorID, filter: .overdue)
            #expect(overdue.map(\.id) == [late.id])
            #expect(try await s.approval(by: f.auditorID, id: late.id).overdue)
            #expect(try await s.approvals(by: f.auditorID, filter: .pending).map(\.id) == [special.id, late.id])
            // Parties were reminded.
            let reminded: Int = try await f.pool.query(
                "SELECT count(*) AS n FROM reminder WHERE kind = 'approval_requested' AND entity_id = $1",
                [String(regular.id)]
            ).single().decode("n")
            #expect(reminded == 3)
        }
    }

    @Test func screenedProjectsOnlyOnTheSpecialTrack() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let s = f.service
            let steel = try await project(f, "NX", sub: "钢铁")
            let before = try await f.counts()
            let refused = await #expect(throws: DomainError.self) {
                try await s.requestApproval(
                    by: f.clerk("NX"), ApprovalRequest(projectID: steel.id, track: .urgent, ask: "产能置换"))
            }
            #expect(refused?.name == .screenedIndustry)
            #expect(refused?.message.contains("steel") == true)
            #expect(try await f.counts() == before)
            let special = try await s.requestApproval(
                by: f.clerk("NX"),
                ApprovalRequest(projectID: steel.id, track: .special, ask: "产能置换", justification: "等量置换，不新增产能"))
            #expect(special.screening == Screening(catalogueVersion: 1, screenedCode: "steel"))
            let stored: String = try await f.pool.query("SELECT screening FROM approval WHERE id = $1", [special.id])
                .single().decode("screening")
            #expect(stored == "screened")
            // The database refuses a screened request off the special track even past the service.
            let sql = await #expect(throws: PostgresError.self) {
                try await f.pool.query("UPDATE approval SET track = 'regular' WHERE id = $1", [special.id])
            }
            #expect(sql?.constraintName == "approval_screened_special")
        }
    }

    @Test func projectStagesKeepTheirHistory() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let p = try await project(f, "GS")
            f.clock.advance(days: 30)
            _ = try await f.service.setProjectStage(by: f.clerk("GS"), id: p.id, stage: .started)
            f.clock.advance(days: 300)
            let done = try await f.service.setProjectStage(by: f.clerk("GS"), id: p.id, stage: .underConstruction)
            #expect(done.history.map(\.stage) == [.planned, .started, .underConstruction])
            let other = await #expect(throws: DomainError.self) {
                try await f.service.setProjectStage(by: f.clerk("SN"), id: p.id, stage: .completed)
            }
            #expect(other?.name == .notOwnMember)
            #expect(p.investment == Decimal(string: "1250000000")!)
        }
    }

    @Test func theLanzhouFairTableIsReproduced() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let csv = try String(
                contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                    "Fixtures/lanzhou-2014-projects.csv"),
                encoding: .utf8)
            let lines = csv.split(whereSeparator: \.isNewline).dropFirst()
            #expect(lines.count == 770)
            for line in lines {
                let field = line.split(separator: ",").map(String.init)
                _ = try await f.service.addProject(
                    by: f.clerk(field[3]),
                    ProjectDraft(
                        name: field[0], investment: Decimal(string: field[4])! * 100_000_000,
                        industry: Industry(rawValue: field[1])!,
                        source: SourceRegion(rawValue: field[2])!))
            }
            func table(_ dimension: ReportDimension) async throws -> [String: String] {
                var result: [String: String] = [:]
                for row in try await f.service.projectReport(by: f.auditorID, by: dimension) {
                    result[row.group] = "\(row.count)/\(row.investment / 100_000_000)"
                }
                return result
            }
            #expect(
                try await table(.industry) == [
                    "energy_materials": "353/2202", "light_food": "177/578", "pharmaceuticals": "65/191",
                    "equipment": "67/252",
                    "circular": "23/59", "other": "85/573", "total": "770/3855",
                ])
            #expect(
                try await table(.band) == [
                    "ge_50yi": "12/840", "10_50yi": "79/1394", "lt_10yi": "679/1621", "total": "770/3855",
                ])
            #expect(
                try await table(.source) == [
                    "east_central": "548/2987", "west": "212/834", "abroad": "10/34", "total": "770/3855",
                ])
            #expect(try await table(.host)["total"] == "770/3855")
        }
    }
}

@Suite struct AuditTrailTests {
    @Test func theTrailIsAppendOnlyEvenForASuperuser() async throws {
        try await MechanismFixture.with { f in
            let before: Int = try await f.pool.query("SELECT count(*) AS n FROM audit_event").single().decode("n")
            #expect(before > 0)
            for statement in [
                "UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event WHERE seq = 1", "TRUNCATE audit_event",
            ] {
                let error = await #expect(throws: PostgresError.self) { try await f.pool.query(statement) }
                #expect(error?.code == .insufficientPrivilege)
            }
            // Replication mode does not switch the triggers off (ENABLE ALWAYS).
            let replica = await #expect(throws: PostgresError.self) {
                try await f.pool.transaction { c in
                    try await c.query("SET LOCAL session_replication_role = replica")
                    try await c.query("DELETE FROM audit_event")
                }
            }
            #expect(replica?.code == .insufficientPrivilege)
            #expect(
                try await f.pool.query("SELECT count(*) AS n FROM audit_event").single().decode("n", as: Int.self)
                    == before)
        }
    }

    @Test func eachRowIsChainedAndItsHashRecomputes() async throws {
        try await MechanismFixture.with { f in
            let broken: Int = try await f.pool.query(
                """
                SELECT count(*) AS n FROM audit_event e
                LEFT JOIN audit_event p ON p.seq = e.seq - 1
                WHERE e.prev_hash <> coalesce(p.hash, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                   OR e.hash <> sha256(e.prev_hash || audit_canonical_v1(e))
                """
            ).single().decode("n")
            #expect(broken == 0)
            let seqs: [Int] = try await f.pool.query("SELECT seq FROM audit_event ORDER BY seq").map {
                try $0.decode("seq")
            }
            #expect(seqs == Array(1...seqs.count))
        }
    }

    @Test func concurrentWritersWithRollbacksLeaveNoGap() async throws {
        try await TestDatabase.withPool(maximumConnections: 8) { pool, _ in
            struct Rollback: Error {}
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for i in 0..<20 {
                            _ = try? await pool.transaction { c in
                                try await c.query(
                                    """
                                    INSERT INTO audit_event (at, principal_name, action, entity, entity_id, prev_hash, hash)
                                    VALUES (now(), $1, 'test.write', 'test', $2, '\\x'::bytea, '\\x'::bytea)
                                    """, ["writer-\(writer)", String(i)])
                                if (writer + i) % 3 == 0 { throw Rollback() }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seqs: [Int] = try await pool.query("SELECT seq FROM audit_event ORDER BY seq").map {
                try $0.decode("seq")
            }
            #expect(seqs == Array(1...seqs.count))
            var committed = 0
            for writer in 0..<8 {
                for i in 0..<20 where (writer + i) % 3 != 0 { committed += 1 }
            }
            #expect(seqs.count == committed)
        }
    }
}

@Suite struct PrincipalTests {
    @Test func secretsAreHashedAndSignInChecksThem() async throws {
        try await MechanismFixture.with(planRotation: false) { f in
            let created = try await f.service.addPrincipal(
                by: f.operatorID, name: "gs-office", role: .clerk, member: "GS")
            let (id, secret) = (created.id, created.secret)
            #expect(secret.count == 24)
            // GS has a clerk already: the operator's new clerk waits for GS's confirmation
            // (security finding 9: an operator cannot act as a member on its own).
            #expect(created.awaitingConfirmation)
            let unconfirmed = await #expect(throws: DomainError.self) {
                try await f.service.authenticate(name: "gs-office", secret: secret)
            }
            #expect(unconfirmed?.name == .authFailed)
            await #expect(throws: DomainError.self) { try await f.service.whoami(id) }
            let notTheirs = await #expect(throws: DomainError.self) {
                try await f.service.confirmPrincipal(by: f.clerk("SN"), name: "gs-office")
            }
            #expect(notTheirs?.name == .notOwnMember)
            let notTheOperator = await #expect(throws: DomainError.self) {
                try await f.service.confirmPrincipal(by: f.operatorID, name: "gs-office")
            }
            #expect(notTheOperator?.name == .notOwnMember)
            try await f.service.confirmPrincipal(by: f.clerk("GS"), name: "gs-office")
            let told: [String] = try await f.pool.query(
                "SELECT payload->>'principal' AS p FROM reminder WHERE kind = 'principal_added' AND recipient_member = 'GS'"
            ).map { try $0.decode("p") }
            #expect(told == ["gs-office"])  // the setup clerks' reminders were cleared by the fixture
            #expect(try await f.service.authenticate(name: "gs-office", secret: secret) == id)
            let wrong = await #expect(throws: DomainError.self) {
                try await f.service.authenticate(name: "gs-office", secret: secret + "x")
            }
            #expect(wrong?.name == .authFailed)
            await #expect(throws: DomainError.self) { try await f.service.authenticate(name: "nobody", secret: secret) }
            let stored: String = try await f.pool.query("SELECT secret_hash FROM principal WHERE id = $1", [id])
                .single().decode("secret_hash")
            #expect(stored.hasPrefix("$2") && !stored.contains(secret))
            let caller = try await f.service.whoami(id)
            #expect(caller.clerkMember(in: "NW5") == "GS")
            try await f.service.disablePrincipal(by: f.operatorID, name: "gs-office")
            await #expect(throws: DomainError.self) {
                try await f.service.authenticate(name: "gs-office", secret: secret)
            }
            let disabled = await #expect(throws: DomainError.self) {
                try await f.service.fileItem(by: id, ItemDraft(category: .other, track: .regular, title: "t"))
            }
            #expect(disabled?.name == .authFailed)
        }
    }

    @Test func onlyOperatorsManagePrincipalsAndOperatorsCannotDecide() async throws {
        try await MechanismFixture.with { f in
            let clerk = await #expect(throws: DomainError.self) {
                try await f.service.addPrincipal(by: f.clerk("GS"), name: "intruder", role: .operator)
            }
            #expect(clerk?.name == .forbidden)
            let bad = await #expect(throws: DomainError.self) {
                try await f.service.addPrincipal(by: f.operatorID, name: "x-clerk", role: .clerk, member: "ZZ")
            }
            #expect(bad?.name == .notFound)
            let item = try await f.service.fileItem(
                by: f.clerk("SN"), ItemDraft(category: .other, track: .regular, title: "t"))
            _ = try await f.service.submitItem(by: f.clerk("SN"), id: item.id)
            let op = await #expect(throws: DomainError.self) {
                try await f.service.acceptItem(by: f.operatorID, id: item.id)
            }
            #expect(op?.name == .notChair)
        }
    }

    @Test func membersAreNamedAsOnTheDay() async throws {
        try await MechanismFixture.with(planRotation: false) { f in
            let in2018 = try await f.service.members(by: f.auditorID, on: .day("2018-06-01"))
            #expect(in2018.map(\.code) == ["SN", "GS", "QH", "NX", "XJ"])
            #expect(in2018[1].name == "甘肃省工业和信息化委员会")
            #expect(try await f.service.members(by: f.auditorID, on: .day("2020-06-01"))[1].name == "甘肃省工业和信息化厅")
            try await f.service.renameMember(
                by: f.operatorID, member: "QH", name: "青海省工业和信息化厅", from: .day("2026-06-01"))
            #expect(try await f.service.members(by: f.auditorID, on: .day("2026-05-31"))[2].name == "青海省经济和信息化委员会")
            #expect(try await f.service.members(by: f.auditorID, on: .day("2026-06-01"))[2].name == "青海省工业和信息化厅")
        }
    }
}
