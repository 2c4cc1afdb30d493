import Foundation
import LunzhiAudit
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct AuditorQueryTests {
    @Test func historyShowsAnItemsWholeLifeAndRecordsTheRead() async throws {
        try await MechanismFixture.with { f in
            let h = try await AuditHistory.make(f)
            let events = try await f.service.history(by: f.auditorID, entity: "item", id: h.items[0])
            #expect(events.map(\.action) == ["item.file", "item.submit", "item.accept", "item.table", "item.adopt"])
            let denied = await #expect(throws: DomainError.self) {
                try await f.service.history(by: f.clerk("GS"), entity: "item", id: h.items[0])
            }
            #expect(denied?.name == .forbidden)
            let reads = try await f.service.auditLog(by: f.auditorID, AuditLogFilter(action: "audit.read"))
            #expect(reads.events.map(\.entityID) == ["history item \(h.items[0])"])
            #expect(reads.events.first?.principal == "auditor")
        }
    }

    @Test func theLogFiltersAndPages() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let byGS = try await f.service.auditLog(by: f.auditorID, AuditLogFilter(member: "GS", action: "item"))
            #expect(
                !byGS.events.isEmpty && byGS.events.allSatisfy { $0.member == "GS" && $0.action.hasPrefix("item.") })
            let actor = try await f.service.auditLog(by: f.auditorID, AuditLogFilter(actor: "clerk-xj"))
            #expect(actor.events.allSatisfy { $0.principal == "clerk-xj" } && actor.events.count == 2)
            // Pages of 5 cover everything once, in order.
            var seen: [Int] = []
            var after = 0
            while true {
                let page = try await f.service.auditLog(by: f.auditorID, AuditLogFilter(after: after, limit: 5))
                seen += page.events.map(\.seq)
                guard let next = page.next else { break }
                after = next
            }
            #expect(seen == Array(1...seen.count) && seen.count > 30)
            let time = try await f.service.auditLog(
                by: f.auditorID, AuditLogFilter(since: f.clock.now().addingTimeInterval(-86_400)))
            #expect(time.events.allSatisfy { $0.at >= f.clock.now().addingTimeInterval(-86_400) })
            #expect(time.events.contains { $0.action == "approval.grant" })
            let bad = await #expect(throws: DomainError.self) {
                try await f.service.auditLog(by: f.auditorID, AuditLogFilter(action: "item.%"))
            }
            #expect(bad?.name == .invalidArgument)
        }
    }

    @Test func asOfRebuildsThePastAndAgreesWithTheLiveTablesNow() async throws {
        try await MechanismFixture.with { f in
            let start = f.clock.now()
            let h = try await AuditHistory.make(f)
            let now = try await f.service.auditAsOf(by: f.auditorID, at: f.clock.now())
            #expect(now.liveMismatches == [])
            #expect(now.states["item"]?[h.items[0]] == "adopted" && now.states["item"]?[h.items[1]] == "rejected")
            #expect(now.states["item"]?[h.items[2]] == "accepted" && now.states["consultation"]?[h.meeting] == "closed")
            #expect(now.states["approval"]?[h.approval] == "approved")
            #expect(now.chairs == [AuditSnapshot.Chair(mechanism: "NW5", member: "GS", acting: false)])
            // Just after the tabling, before the meeting opened.
            let then = try await f.service.auditAsOf(by: f.auditorID, at: start.addingTimeInterval(60))
            #expect(then.liveMismatches == nil)
            #expect(
                then.states["item"]?[h.items[0]] == "tabled" && then.states["consultation"]?[h.meeting] == "planned")
            #expect(then.states["approval"]?[h.approval] == nil)
            let before = try await f.service.auditAsOf(by: f.auditorID, at: Date(timeIntervalSince1970: 1_600_000_000))
            #expect(before.states["item"]?.isEmpty == true && before.chairs.first?.member == "SN")  // 2020: SN
            // A change made behind the service's back shows up as a mismatch.
            try await f.pool.query("UPDATE agenda_item SET state = 'withdrawn' WHERE id = $1", [h.items[2]])
            let drift = try await f.service.auditAsOf(by: f.auditorID, at: f.clock.now())
            #expect(drift.liveMismatches == ["item \(h.items[2]): rebuilt accepted ≠ live withdrawn"])
        }
    }

    @Test func decisionsListProcedureTrackPositionsAndLateAnswers() async throws {
        try await MechanismFixture.with { f in
            let h = try await AuditHistory.make(f)
            let (decisions, approvals) = try await f.service.auditDecisions(by: f.auditorID, year: 2026)
            #expect(decisions.map(\.item) == [h.items[0], h.items[1]])
            #expect(decisions[0].number == "2026-001" && decisions[0].outcome == "adopted")
            #expect(decisions[0].procedure == "meeting" && decisions[0].track == "regular")
            #expect(
                decisions[1].positions.map { "\($0.member)=\($0.stance)" } == [
                    "SN=agree", "GS=agree", "QH=agree", "NX=agree", "XJ=object",
                ])
            #expect(approvals.count == 1 && approvals[0].track == "urgent" && approvals[0].state == "approved")
            #expect(approvals[0].parties.map(\.overdue) == [false, true])  // SN in time, GS late
            #expect(try await f.service.auditDecisions(by: f.auditorID, year: 2025).decisions.isEmpty)
        }
    }

    @Test func anExportVerifiesIndependentlyInPython() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let signer = try newSigner()
            let log = CheckpointLog(path: temporaryPath("checkpoints"))
            let directory = temporaryPath("export")
            defer {
                try? FileManager.default.removeItem(atPath: log.path)
                try? FileManager.default.removeItem(atPath: directory)
            }
            _ = try await f.checkpoint(signer, log: log)
            let summary = try await AuditExporter(service: f.service).export(
                by: f.auditorID, since: nil, until: nil, to: directory, checkpointNotes: try log.notes(),
                verifierKey: signer.verifierKey)
            let verification = try await AuditVerifier(pool: f.pool).verify(
                checkpoints: try log.checkpoints(verifier: signer.verifier))
            // The export itself was recorded as an event after the bounds were taken.
            #expect(summary.events == verification.count - 1 && summary.decisions == 2 && summary.approvals == 1)
            let lastLine =
                try String(contentsOfFile: directory + "/events.jsonl", encoding: .utf8)
                .split(separator: "\n").last.map(String.init) ?? ""
            let python = try await runPython(directory)
            #expect(python.status == 0)
            #expect(
                python.output
                    == "ok \(summary.events) events, seq 1..\(summary.lastSeq), head \(lastLine.hashField), 1 checkpoints\n"
            )
            let csv = try String(contentsOfFile: directory + "/decisions.csv", encoding: .utf8)
            #expect(csv.contains(#""盐湖化工 ""quoted"", comma""#))
            #expect(
                try String(contentsOfFile: directory + "/approvals.csv", encoding: .utf8).contains("GS=grant (overdue)")
            )

            // Alter one line: Python names it, as `lunzhi audit verify` does for the database.
            var lines = try String(contentsOfFile: directory + "/events.jsonl", encoding: .utf8).split(separator: "\n")
            lines[9] = Substring(
                lines[9].replacingOccurrences(of: #""principal_name":""#, with: #""principal_name":"mallory-"#))
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: directory + "/events.jsonl", atomically: true, encoding: .utf8)
            let tampered = try await runPython(directory)
            #expect(tampered.status == 1 && tampered.output.hasPrefix("FAILED at seq 10:"))
        }
    }

    func runPython(_ directory: String) async throws -> BackgroundProcess.Completion {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/audit-verify.py").standardized.path
        return try await BackgroundProcess.run("python3", [script, directory])
    }
}

extension String {
    /// The `hash` field of one exported JSON line.
    var hashField: String {
        guard let range = range(of: #""hash":""#) else { return "" }
        return String(self[range.upperBound...].prefix(64))
    }
}
