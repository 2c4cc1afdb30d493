import Foundation
import Logging
import LunzhiCore
import LunzhiReminders
import LunzhiTestSupport
import PostgresLibPQ
import Synchronization
import Testing

/// A channel that records what it was given and answers from a script.
final class RecordingChannel: ReminderChannel, Sendable {
    let kind: String
    private struct Record {
        var delivered: [String] = []
        var script: [DeliveryResult]
    }
    private let record: Mutex<Record>

    init(kind: String = "file", script: [DeliveryResult] = []) {
        self.kind = kind
        self.record = Mutex(Record(script: script))
    }

    func deliver(_ reminder: ClaimedReminder, message: ReminderMessage, address: String, secret: String?) async
        -> DeliveryResult
    {
        record.withLock { record in
            let result = record.script.isEmpty ? DeliveryResult.delivered : record.script.removeFirst()
            if result == .delivered { record.delivered.append(reminder.idempotencyKey) }
            return result
        }
    }

    var keys: [String] { record.withLock { $0.delivered } }

    func reset() { record.withLock { $0.delivered.removeAll() } }
}

func quietLogger() -> Logger {
    var logger = Logger(label: "test.remind")
    logger.logLevel = .critical
    return logger
}

func daemon(
    _ f: MechanismFixture, _ channels: [any ReminderChannel], owner: String = "test",
    backoff: Backoff = Backoff(base: 0.001, cap: 0.001)
) -> ReminderDaemon {
    var configuration = ReminderDaemon.Configuration()
    configuration.backoff = backoff
    configuration.pollInterval = .milliseconds(50)
    return ReminderDaemon(
        configuration: configuration, service: f.service, channels: channels, owner: owner, logger: quietLogger())
}

func states(_ f: MechanismFixture) async throws -> [String: Int] {
    var result: [String: Int] = [:]
    for row in try await f.pool.query("SELECT state, count(*) AS n FROM reminder GROUP BY state") {
        result[try row.decode("state")] = try row.decode("n")
    }
    return result
}

@Suite struct ReminderDaemonTests {
    @Test func submittedItemsRemindTheChairAndReturnedOnesTheFiler() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            for member in ["GS", "SN"] {
                try await f.service.addContact(
                    by: f.operatorID, member: member, channel: "file", address: "lunzhi-\(member).jsonl")
            }
            let item = try await f.service.fileItem(
                by: f.clerk("SN"), ItemDraft(category: .other, track: .regular, title: "t"))
            _ = try await f.service.submitItem(by: f.clerk("SN"), id: item.id)
            _ = try await f.service.returnItem(by: f.clerk("GS"), id: item.id, reason: "补充")
            let channel = RecordingChannel()
            #expect(try await daemon(f, [channel]).drain() == 2)
            // The chair's reminder is skipped: the item is no longer submitted. The filer's goes out.
            let rows = try await f.pool.query("SELECT kind, recipient_member, state, outcome FROM reminder ORDER BY id")
            #expect(
                try rows.map {
                    "\(try $0.decode("kind", as: String.self)) \(try $0.decode("recipient_member", as: String.self)) \(try $0.decode("state", as: String.self))"
                }
                    == ["item_submitted GS skipped", "item_returned SN delivered"])
            #expect(try rows[0].decode("outcome", as: String.self) == "the item is now returned")
            #expect(channel.keys.count == 1)
        }
    }

    /// A member asked to consent to a swap is reminded unless it has consented by then; a withdrawn
    /// skip's reminder is skipped, and the member it concerned is told it was withdrawn.
    @Test func exceptionsRemindTheMembersWhoseConsentIsMissing() async throws {
        try await MechanismFixture.with { f in
            for member in ["QH", "NX", "XJ"] {
                try await f.service.addContact(
                    by: f.operatorID, member: member, channel: "file", address: "lunzhi-\(member).jsonl")
            }
            // An operator asks QH and NX to swap; NX consents at once, QH has yet to.
            let swap = try await f.service.requestSwap(by: f.operatorID, years: (2027, 2028), reason: "活动")
            #expect(try await f.service.consent(by: f.clerk("NX"), exception: swap.id).missing == ["QH"])
            let skip = try await f.service.requestSkip(by: f.operatorID, year: 2029, reason: "新疆申请")
            _ = try await f.service.withdrawException(by: f.clerk("XJ"), exception: skip.id, reason: "不再申请")
            let channel = RecordingChannel()
            _ = try await daemon(f, [channel]).drain()
            let rows = try await f.pool.query(
                "SELECT kind, recipient_member, state, outcome FROM reminder WHERE kind LIKE 'rotation%' ORDER BY id")
            #expect(
                try rows.map {
                    "\(try $0.decode("kind", as: String.self)) \(try $0.decode("recipient_member", as: String.self)) \(try $0.decode("state", as: String.self))"
                }
                    == [
                        "rotation_exception_requested QH delivered", "rotation_exception_requested NX skipped",
                        "rotation_exception_requested XJ skipped",
                    ])
            #expect(try rows[1].decode("outcome", as: String.self) == "NX has consented")
            #expect(try rows[2].decode("outcome", as: String.self) == "the rotation exception is withdrawn")
            // XJ withdrew its own: nobody else was concerned, so no "withdrawn" reminder; an operator's
            // withdrawal of a swap tells both members.
            let asked = try await f.service.requestSwap(by: f.operatorID, years: (2029, 2030), reason: "调换")
            _ = try await f.service.withdrawException(by: f.operatorID, exception: asked.id, reason: "撤回")
            let told: [String] = try await f.pool.query(
                "SELECT recipient_member FROM reminder WHERE kind = 'rotation_exception_withdrawn' ORDER BY recipient_member"
            ).map { try $0.decode("recipient_member") }
            #expect(told == ["SN", "XJ"])
        }
    }

    @Test func enqueuingTwiceYieldsOneAndAMemberWithoutContactIsSkipped() async throws {
        try await MechanismFixture.with { f in
            for _ in 0..<2 {
                try await f.pool.query(
                    "INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key) VALUES ('NW5', 'QH', 'custom', 'item', '1', $1, 'k1') ON CONFLICT (idempotency_key) WHERE state IN ('pending', 'running') DO NOTHING",
                    [f.clock.now()])
            }
            #expect(try await states(f) == ["pending": 1])
            _ = try await daemon(f, [RecordingChannel()]).drain()
            #expect(
                try await f.pool.query("SELECT outcome FROM reminder").single().decode("outcome", as: String.self)
                    == "QH has no contact")
        }
    }

    @Test func retriesThenDeliversOnceAndPermanentFailuresGoDead() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            try await f.service.addContact(by: f.operatorID, member: "GS", channel: "file", address: "gs")
            try await f.service.addContact(by: f.operatorID, member: "SN", channel: "file", address: "sn")
            func enqueue(_ member: String, _ key: String) async throws {
                try await f.pool.query(
                    "INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key) VALUES ('NW5', $1, 'custom', 'x', '1', $2, $3)",
                    [member, f.clock.now(), key])
            }
            try await enqueue("GS", "flaky")
            let flaky = RecordingChannel(script: [.retry("HTTP 500"), .retry("timeout"), .delivered])
            let d = daemon(f, [flaky])
            for _ in 0..<3 {
                _ = try await d.drain()
                f.clock.advance(1)
            }
            #expect(flaky.keys == ["flaky"])
            let row = try await f.pool.query("SELECT state, attempts FROM reminder WHERE idempotency_key = 'flaky'")
                .single()
            #expect(
                try row.decode("state", as: String.self) == "delivered" && row.decode("attempts", as: Int.self) == 3)
            let errors: [String] = try await f.pool.query(
                "SELECT error FROM reminder_attempt WHERE NOT ok ORDER BY attempt"
            ).map { try $0.decode("error") }
            #expect(errors == ["HTTP 500", "timeout"])

            try await enqueue("SN", "bad-request")
            _ = try await daemon(f, [RecordingChannel(script: [.permanent("HTTP 400")])]).drain()
            let dead = try await f.pool.query(
                "SELECT id, state, attempts, outcome FROM reminder WHERE idempotency_key = 'bad-request'"
            ).single()
            #expect(try dead.decode("state", as: String.self) == "dead" && dead.decode("attempts", as: Int.self) == 1)
            // An operator revives it; it is delivered on the next round.
            try await f.service.retryReminder(by: f.operatorID, id: try dead.decode("id"))
            let reviver = RecordingChannel()
            _ = try await daemon(f, [reviver]).drain()
            #expect(reviver.keys == ["bad-request"])
            let listed = try await f.service.reminders(by: f.auditorID, state: .delivered)
            #expect(
                listed.first { $0.id == (try? dead.decode("id", as: Int.self)) }?.errors.first?.contains("HTTP 400")
                    == true)
        }
    }

    @Test func skippedWhenTheReasonIsGone() async throws {
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            for member in MechanismFixture.order {
                try await f.service.addContact(by: f.operatorID, member: member, channel: "file", address: "\(member)")
            }
            let now = f.clock.now()
            // A written procedure: the response reminder goes only to members that have not answered.
            let item = try await f.service.fileItem(
                by: f.clerk("SN"), ItemDraft(category: .other, track: .regular, title: "书面"))
            _ = try await f.service.submitItem(by: f.clerk("SN"), id: item.id)
            _ = try await f.service.acceptItem(by: f.clerk("GS"), id: item.id)
            let written = try await f.service.convene(
                by: f.clerk("GS"),
                ConsultationPlan(
                    kind: .written, agendaDeadline: now.addingTimeInterval(3600),
                    responseDeadline: now.addingTimeInterval(5 * 86_400)))
            _ = try await f.service.table(by: f.clerk("GS"), consultation: written.id, items: [item.id])
            _ = try await f.service.openConsultation(by: f.clerk("GS"), id: written.id)
            for member in ["SN", "GS", "QH"] {
                _ = try await f.service.recordPosition(
                    by: f.clerk(member), consultation: written.id, item: item.id, stance: .agree)
            }
            // A meeting that is then cancelled: its reminders due later are skipped.
            let meeting = try await f.service.convene(
                by: f.clerk("GS"),
                ConsultationPlan(
                    kind: .meeting, at: now.addingTimeInterval(10 * 86_400),
                    agendaDeadline: now.addingTimeInterval(5 * 86_400)))
            let channel = RecordingChannel()
            _ = try await daemon(f, [channel]).drain()  // the "convened" reminders, due now
            _ = try await f.service.cancelConsultation(by: f.clerk("GS"), id: meeting.id, reason: "改期")
            f.clock.advance(days: 11)
            channel.reset()
            _ = try await daemon(f, [channel]).drain()
            let responses = channel.keys.filter { $0.hasPrefix("response_due:") }.map { $0.split(separator: ":")[3] }
                .sorted()
            #expect(responses == ["NX", "XJ"])
            #expect(!channel.keys.contains { $0.contains("consultation:\(meeting.id):") })
            let skipped: Int = try await f.pool.query(
                "SELECT count(*) AS n FROM reminder WHERE state = 'skipped' AND entity_id = $1", [String(meeting.id)]
            ).single().decode("n")
            #expect(skipped == 15)  // per member: agenda deadline in 3 days and in 1 day, meeting tomorrow
        }
    }
}

@Suite struct ReminderConcurrencyTests {
    /// Inserts `count` reminders due now for GS, which has a file contact.
    func enqueue(_ f: MechanismFixture, _ count: Int) async throws {
        try await f.service.addContact(by: f.operatorID, member: "GS", channel: "file", address: "lunzhi-test-gs")
        try await f.pool.query(
            """
            INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key)
            SELECT 'NW5', 'GS', 'custom', 'x', g::text, $1, 'bulk:' || g FROM generate_series(1, $2) g
            """, [f.clock.now(), count])
    }

    @Test func twoDaemonsDeliverEachReminderExactlyOnce() async throws {
        try await MechanismFixture.with { f in
            try await enqueue(f, 5000)
            let a = RecordingChannel()
            let b = RecordingChannel()
            async let first = daemon(f, [a], owner: "a").drain()
            async let second = daemon(f, [b], owner: "b").drain()
            let handled = try await first + second
            #expect(handled == 5000)
            #expect(a.keys.count + b.keys.count == 5000)
            #expect(Set(a.keys).isDisjoint(with: Set(b.keys)))
            #expect(Set(a.keys + b.keys).count == 5000)
            #expect(!a.keys.isEmpty && !b.keys.isEmpty)
            #expect(try await states(f) == ["delivered": 5000])
        }
    }

    @Test func aDeadDaemonsLeaseExpiresAndAnotherDelivers() async throws {
        try await MechanismFixture.with { f in
            try await enqueue(f, 10)
            let queue = ReminderQueue(pool: f.pool)
            let claimed = try await queue.claim(owner: "crashed", now: f.clock.now(), limit: 10, lease: 60)
            #expect(claimed.count == 10)
            let channel = RecordingChannel()
            #expect(try await daemon(f, [channel]).drain() == 0)  // all leased
            f.clock.advance(61)
            #expect(try await daemon(f, [channel]).drain() == 10)
            #expect(Set(channel.keys).count == 10)
            // The crashed daemon's late completion is refused: it no longer owns the rows.
            #expect(
                try await queue.finish(claimed[0], owner: "crashed", state: .dead, outcome: "late", at: f.clock.now())
                    == false)
            #expect(try await states(f) == ["delivered": 10])
        }
    }

    @Test func aNotificationWakesTheDaemonAtOnce() async throws {
        try await MechanismFixture.with { f in
            try await f.service.addContact(by: f.operatorID, member: "GS", channel: "file", address: "lunzhi-test-gs")
            let channel = RecordingChannel()
            var configuration = ReminderDaemon.Configuration()
            configuration.pollInterval = .seconds(30)  // far longer than the test waits
            let d = ReminderDaemon(
                configuration: configuration, service: f.service, channels: [channel], owner: "w", logger: quietLogger()
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await d.run() }
                try await Task.sleep(for: .milliseconds(500))
                try await f.pool.query(
                    "INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key) VALUES ('NW5', 'GS', 'custom', 'x', '1', $1, 'wake')",
                    [f.clock.now()])
                let start = ContinuousClock.now
                while channel.keys.isEmpty && ContinuousClock.now - start < .seconds(25) {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(channel.keys == ["wake"])
                #expect(ContinuousClock.now - start < .seconds(20))  // not the 30 s poll
                group.cancelAll()
            }
        }
    }
}

@Suite struct HandoverTests {
    @Test func theIncomingAndOutgoingChairsAreToldThirtyDaysAhead() async throws {
        try await MechanismFixture.with(start: .day("2026-11-20")) { f in
            for member in ["GS", "QH"] {
                try await f.service.addContact(by: f.operatorID, member: member, channel: "file", address: "\(member)")
            }
            let item = try await f.service.fileItem(
                by: f.clerk("SN"), ItemDraft(category: .other, track: .regular, title: "跨年议题"))
            _ = try await f.service.submitItem(by: f.clerk("SN"), id: item.id)
            let channel = RecordingChannel()
            _ = try await daemon(f, [channel]).drain()
            #expect(!channel.keys.contains { $0.hasPrefix("rotation_handover") })  // 42 days ahead: not yet
            f.clock.set(shanghai: .day("2026-12-02"))
            _ = try await daemon(f, [channel]).drain()
            _ = try await daemon(f, [channel]).drain()  // a second pass adds nothing
            let handovers = channel.keys.filter { $0.hasPrefix("rotation_handover") }
            #expect(handovers.count == 2)
            #expect(Set(handovers.map { $0.split(separator: ":")[3] }) == ["GS", "QH"])
            let payload: PostgresJSON = try await f.pool.query(
                "SELECT payload FROM reminder WHERE kind = 'rotation_handover' LIMIT 1"
            ).single().decode("payload")
            let fields = try payload.decode(as: [String: String].self)
            #expect(fields["incoming"] == "QH" && fields["outgoing"] == "GS" && fields["open_items"] == "1")
        }
    }
}
