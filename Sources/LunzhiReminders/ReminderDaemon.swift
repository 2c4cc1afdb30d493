public import Foundation
public import Logging
public import LunzhiCore
import Metrics
import PostgresLibPQ
public import ServiceLifecycle

/// Delivers due reminders. Several daemons may run against one database: claiming skips rows
/// another daemon holds, and a dead daemon's rows come back when their lease expires.
///
/// Wake-up: LISTEN on `lunzhi_reminders` (an insert trigger notifies), a timer to the next due
/// time, and a bounded poll — a lost notification costs latency, never a reminder.
public struct ReminderDaemon: Service {
    public struct Configuration: Sendable {
        public var batchSize: Int = 512
        /// Claim-and-deliver loops running at once in one daemon.
        public var claimers: Int = 3
        /// How long a claim is held before another daemon may take the row over.
        public var lease: TimeInterval = 120
        /// The longest sleep between looks at the queue.
        public var pollInterval: Duration = .seconds(5)
        /// No LISTEN (for connection poolers in transaction mode): poll only.
        public var pollOnly = false
        public var backoff = Backoff()
        /// Finished rows are kept this long, then pruned.
        public var retention: TimeInterval = 30 * 86_400
        public var pruneInterval: TimeInterval = 600
        /// A periodic job run beside delivery (the signed audit checkpoint); it returns what to
        /// log, or nil when there was nothing to do.
        public var checkpoint: Periodic?
        /// A full verification of the audit log (daily by default): a failure is an alert, logged
        /// at error level and shown by the gauge `lunzhi_audit_verification_ok` (0).
        public var verification: Periodic?
        public init() {}
    }

    public struct Periodic: Sendable {
        public var interval: TimeInterval
        public var run: @Sendable (Date) async throws -> String?
        public init(interval: TimeInterval, run: @escaping @Sendable (Date) async throws -> String?) {
            self.interval = interval
            self.run = run
        }
    }

    public let configuration: Configuration
    let queue: ReminderQueue
    let service: Cooperation
    let channels: [String: any ReminderChannel]
    let owner: String
    let logger: Logger

    public init(
        configuration: Configuration = Configuration(), service: Cooperation, channels: [any ReminderChannel],
        owner: String = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))", logger: Logger
    ) {
        self.configuration = configuration
        self.queue = ReminderQueue(pool: service.pool)
        self.service = service
        self.channels = Dictionary(channels.map { ($0.kind, $0) }, uniquingKeysWith: { a, _ in a })
        self.owner = owner
        self.logger = logger
    }

    var clock: any ServiceClock { service.clock }

    public func run() async throws {
        signal(SIGPIPE, SIG_IGN)  // a mail program that dies must not take the daemon with it
        let wake = WakeSignal()
        let listener =
            configuration.pollOnly
            ? nil : PostgresListener(configuration: service.pool.configuration, channels: ["lunzhi_reminders"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                if let listener {
                    try await listener.start()
                    group.addTask {
                        for await event in listener {
                            switch event {
                            case .disconnected:
                                logger.warning(
                                    "reminder listener disconnected; polling until it reconnects",
                                    metadata: ["poll_interval": "\(configuration.pollInterval)"])
                            case .reconnected: logger.notice("reminder listener reconnected; rescanning")
                            case .notification: break
                            }
                            await wake.notify()
                        }
                    }
                }
                var lastPrune = Date.distantPast
                var lastCheckpoint = Date.distantPast
                var lastVerification = Date.distantPast
                var lastHousekeeping = ContinuousClock.now - .seconds(60)
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    do {
                        // Hand-overs and expired leases are looked at once a second at most, so a
                        // notification's path to delivery is just claim, deliver, finish.
                        let housekeeping = ContinuousClock.now - lastHousekeeping >= .seconds(1)
                        if housekeeping { lastHousekeeping = ContinuousClock.now }
                        _ = try await drain(housekeeping: housekeeping)
                        if clock.now().timeIntervalSince(lastPrune) >= configuration.pruneInterval {
                            let pruned = try await queue.prune(
                                before: clock.now().addingTimeInterval(-configuration.retention))
                            if pruned > 0 { logger.info("pruned finished reminders", metadata: ["count": "\(pruned)"]) }
                            lastPrune = clock.now()
                        }
                        if let verification = configuration.verification,
                            clock.now().timeIntervalSince(lastVerification) >= verification.interval
                        {
                            lastVerification = clock.now()
                            do {
                                if let done = try await verification.run(clock.now()) { logger.info("\(done)") }
                                Gauge(label: "lunzhi_audit_verification_ok").record(1)
                            } catch {
                                Gauge(label: "lunzhi_audit_verification_ok").record(0)
                                logger.error(
                                    "AUDIT VERIFICATION FAILED: the decision history does not verify",
                                    metadata: ["error": "\(error)"])
                            }
                        }
                        if let checkpoint = configuration.checkpoint,
                            clock.now().timeIntervalSince(lastCheckpoint) >= checkpoint.interval
                        {
                            lastCheckpoint = clock.now()
                            do {
                                if let done = try await checkpoint.run(clock.now()) { logger.info("\(done)") }
                            } catch {
                                logger.error("audit checkpoint failed", metadata: ["error": "\(error)"])
                            }
                        }
                        var sleep = configuration.pollInterval
                        if let next = try await queue.nextDue() {
                            let until = Duration.milliseconds(Int64(max(0, next.timeIntervalSince(clock.now())) * 1000))
                            sleep = min(sleep, until)
                        }
                        if sleep > .zero { await wake.wait(timeout: sleep) }
                    } catch {
                        logger.warning("reminder loop failed; retrying", metadata: ["error": "\(error)"])
                        await wake.wait(timeout: .seconds(1))
                    }
                }
                listener?.stop()
            }
        } onGracefulShutdown: {
            Task { await wake.notify() }
            listener?.stop()
        }
    }

    /// Delivers everything due now, batch after batch, and returns how many reminders it handled
    /// (`lunzhi remind --once`). With `housekeeping`, first schedules rotation hand-overs and makes
    /// expired leases claimable again.
    @discardableResult
    public func drain(housekeeping: Bool = true) async throws -> Int {
        if housekeeping {
            try await service.scheduleRotationHandovers(now: clock.now())
            try await queue.reclaimExpired(now: clock.now())
        }
        // Several claim loops at once, so the database claims one batch while another is delivered.
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<max(1, configuration.claimers) {
                group.addTask {
                    var handled = 0
                    while !Task.isShuttingDownGracefully {
                        let batch = try await queue.claim(
                            owner: owner, now: clock.now(), limit: configuration.batchSize, lease: configuration.lease)
                        if batch.isEmpty { break }
                        await processBatch(batch)
                        handled += batch.count
                    }
                    return handled
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// Delivers a claimed batch: one skip-check query, one contacts query, deliveries in parallel, and one
    /// statement finishing everything delivered. A database failure leaves rows leased; they come
    /// back when the lease expires.
    func processBatch(_ batch: [ClaimedReminder]) async {
        do {
            var live: [ClaimedReminder] = []
            var skipped: [(Int, String)] = []
            let reasons = try await service.reminderSkipReasons(
                batch.map { .init(kind: $0.kind, entityID: $0.entityID, recipient: $0.recipient) })
            for (reminder, reason) in zip(batch, reasons) {
                if let reason {
                    skipped.append((reminder.id, reason))
                } else {
                    live.append(reminder)
                }
            }
            let contacts = try await queue.contacts(of: live.map { ($0.mechanism, $0.recipient) })
            var delivered: [(ClaimedReminder, String)] = []
            try await withThrowingTaskGroup(of: (ClaimedReminder, Outcome).self) { group in
                for reminder in live {
                    let mine = contacts["\(reminder.mechanism)/\(reminder.recipient)"] ?? []
                    group.addTask { (reminder, try await deliver(reminder, to: mine)) }
                }
                for try await (reminder, outcome) in group {
                    switch outcome {
                    case .delivered(let summary): delivered.append((reminder, summary))
                    case .skipped(let reason): skipped.append((reminder.id, reason))
                    case .handled: break
                    }
                }
            }
            let now = clock.now()
            try await queue.finish(
                ids: skipped.map(\.0), owner: owner, state: .skipped, outcomes: skipped.map(\.1), at: now)
            let finished = try await queue.finish(
                ids: delivered.map(\.0.id), owner: owner, state: .delivered, outcomes: delivered.map(\.1), at: now)
            // Follow-ups (the weekly overdue repeat) are the domain's decision.
            for (reminder, _) in delivered where finished.contains(reminder.id) {
                try await service.reminderDelivered(
                    kind: reminder.kind, mechanism: reminder.mechanism, entity: reminder.entity,
                    entityID: reminder.entityID,
                    recipient: reminder.recipient, dueAt: reminder.dueAt)
            }
        } catch {
            logger.warning("reminder batch interrupted", metadata: ["error": "\(error)"])
        }
    }

    enum Outcome: Sendable {
        /// Delivered everywhere; finished with the batch.
        case delivered(String)
        case skipped(String)
        /// Retried or buried here already.
        case handled
    }

    /// Delivers one reminder on every contact not yet served. Attempts are recorded when something
    /// failed (so a retry skips the channels that worked); a clean first delivery writes nothing
    /// but the batch's finishing update.
    func deliver(_ reminder: ClaimedReminder, to contacts: [(channel: String, address: String, secret: String?)])
        async throws
        -> Outcome
    {
        guard !contacts.isEmpty else { return .skipped("\(reminder.recipient) has no contact") }
        let already = reminder.attempt > 1 ? try await queue.deliveredAddresses(reminder) : []
        let message = ReminderMessage(reminder)
        var results: [(channel: String, address: String, result: DeliveryResult)] = []
        for contact in contacts where !already.contains("\(contact.channel):\(contact.address)") {
            let result: DeliveryResult
            if let channel = channels[contact.channel] {
                result = await channel.deliver(
                    reminder, message: message, address: contact.address, secret: contact.secret)
            } else {
                result = .permanent("no \(contact.channel) channel is configured on this daemon")
            }
            results.append((contact.channel, contact.address, result))
            Counter(
                label: "lunzhi_reminder_deliveries_total",
                dimensions: [("channel", contact.channel), ("result", result.metricLabel)]
            ).increment()
        }
        let failures = results.filter { $0.result != .delivered }
        if failures.isEmpty {
            return .delivered(
                "delivered"
                    + (results.isEmpty
                        ? "" : " to " + results.map { "\($0.channel):\($0.address)" }.joined(separator: ", ")))
        }
        let now = clock.now()
        for entry in results {
            var error: String?
            switch entry.result {
            case .delivered: error = nil
            case .retry(let e), .permanent(let e): error = e
            }
            try await queue.recordAttempt(
                reminder, channel: entry.channel, address: entry.address, at: now, error: error)
        }
        let permanent = failures.compactMap { if case .permanent(let e) = $0.result { e } else { nil } }
        let retryable = failures.compactMap { if case .retry(let e) = $0.result { e } else { nil } }
        if !permanent.isEmpty {
            try await queue.finish(
                reminder, owner: owner, state: .dead, outcome: permanent.joined(separator: "; "), at: now)
        } else if reminder.attempt >= reminder.maxAttempts {
            try await queue.finish(
                reminder, owner: owner, state: .dead,
                outcome: "gave up after \(reminder.attempt) attempts: " + retryable.joined(separator: "; "), at: now)
        } else {
            let runAt = now.addingTimeInterval(configuration.backoff.delay(afterAttempt: reminder.attempt))
            try await queue.retry(reminder, owner: owner, runAt: runAt, error: retryable.joined(separator: "; "))
        }
        return .handled
    }
}

extension DeliveryResult {
    var metricLabel: String {
        switch self {
        case .delivered: "delivered"
        case .retry: "retry"
        case .permanent: "failed"
        }
    }
}
