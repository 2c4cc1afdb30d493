import ArgumentParser
import Foundation
import Logging
import LunzhiAudit
import LunzhiCore
import LunzhiOperations
import LunzhiReminders
import PostgresLibPQ
import ServiceLifecycle

struct RemindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remind", abstract: "Run the reminder daemon (several may run at once).")

    @Flag(help: "Deliver what is due now, then exit.") var once = false
    @Flag(name: .customLong("poll-only"), help: "Do not LISTEN (for connection poolers); poll instead.") var pollOnly =
        false
    @Option(name: .customLong("poll-interval"), help: "Longest sleep between looks at the queue, in seconds.")
    var pollInterval: Double = SettingDefaults.pollInterval
    @Option(name: .customLong("batch-size"), help: "Reminders claimed at a time.") var batchSize: Int = SettingDefaults.batchSize
    @Option(help: "Claim-and-deliver loops running at once.") var claimers: Int = SettingDefaults.claimers
    @Option(help: "Seconds a claim is held before another daemon may take it over.") var lease: Double = SettingDefaults.lease
    @Option(name: .customLong("retention-days"), help: "Days finished reminders are kept.") var retentionDays: Double = SettingDefaults.retentionDays
    @Option(name: .customLong("sendmail"), help: "The sendmail-compatible command for e-mail.") var sendmail: String = SettingDefaults.sendmail
    @Option(name: .customLong("mail-from"), help: "The From address of reminder e-mail.") var mailFrom: String = SettingDefaults.mailFrom
    @Option(name: .customLong("pool-size"), help: "Database connections.") var poolSize: Int = SettingDefaults.remindPoolSize
    @Option(
        name: .customLong("file-channel-dir"),
        help: "The directory file contacts write into (their address is a file name in it); unset: file contacts are off.")
    var fileChannelDir: String?

    @OptionGroup var operations: OperationsOptions
    @OptionGroup var webhooks: WebhookOptions
    @OptionGroup var checkpointing: CheckpointOptions
    @Option(name: .customLong("checkpoint-interval"), help: "Seconds between signed audit checkpoints.")
    var checkpointInterval: Double = SettingDefaults.checkpointInterval
    @Option(
        name: .customLong("verify-interval"),
        help: "Seconds between full verifications of the audit log (0: never); a failure is logged as an error.")
    var verifyInterval: Double = SettingDefaults.verifyInterval

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "lunzhi.remind")
        guard pollInterval > 0, batchSize > 0, claimers > 0, lease > 0, poolSize > 1, retentionDays > 0 else {
            throw ValidationError("intervals, sizes and the lease must be positive (pool-size at least 2)")
        }
        try database.configuration.validate()
        let pool = PostgresPool(configuration: database.configuration, options: .init(maximumConnections: poolSize))
        var configuration = ReminderDaemon.Configuration()
        configuration.pollOnly = pollOnly
        configuration.pollInterval = .milliseconds(Int64(pollInterval * 1000))
        configuration.batchSize = batchSize
        configuration.claimers = claimers
        configuration.lease = lease
        configuration.retention = retentionDays * 86_400
        let channels: [any ReminderChannel] = [
            FileChannel(directory: fileChannelDir), SendmailChannel(command: sendmail.split(separator: " ").map(String.init), from: mailFrom),
            WebhookChannel(policy: try webhooks.policy),
        ]
        guard checkpointInterval > 0 else { throw ValidationError("--checkpoint-interval must be positive") }
        if checkpointing.configured {
            let checkpointer = try checkpointing.checkpointer(pool: pool)
            let notify = checkpointing.notify
            configuration.checkpoint = .init(interval: checkpointInterval) { now in
                switch try await checkpointer.checkpoint(now: now, notify: notify) {
                case .signed(let c):
                    "signed audit checkpoint at \(English.count(c.size, "event"))"
                        + (checkpointer.witnesses.isEmpty ? "" : "; " + checkpointer.report(c).summary)
                case .unchanged: nil
                }
            }
        }
        guard verifyInterval >= 0 else { throw ValidationError("--verify-interval must be 0 or more") }
        if verifyInterval > 0 {
            let verifier = try checkpointing.verifier()
            let log = checkpointing.log
            configuration.verification = .init(interval: verifyInterval) { _ in
                try await Self.verifyFully(pool: pool, verifier: verifier, log: log)
            }
        }
        let daemon = ReminderDaemon(
            configuration: configuration, service: Cooperation(pool: pool, webhookPolicy: try webhooks.policy),
            channels: channels, logger: logger)
        if once {
            do {
                let handled = try await daemon.drain()
                print("handled \(handled) reminders")
                if let checkpoint = configuration.checkpoint, let done = try await checkpoint.run(Date()) { print(done) }
            } catch {
                await pool.close()
                throw error
            }
            await pool.close()
        } else {
            let operationsServices = try operations.services(defaultListen: SettingDefaults.remindMetricsListen, pool: pool, logger: logger)
            // The pools' service first: shut down last, after the daemon has finished its batch.
            let services: [any Service] = [PoolService(pools: [pool]), daemon] + operationsServices
            let group = ServiceGroup(
                configuration: .init(
                    services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            Task {
                let check = await Readiness.check(pool)
                SystemdNotifier.notify(check.ready ? "READY=1\nSTATUS=delivering reminders" : "STATUS=\(check.detail)")
            }
            try await group.run()
            SystemdNotifier.notify("STOPPING=1")
        }
    }

    /// The daemon's scheduled full verification: every row recomputed and, when the daemon signs
    /// checkpoints, every checkpoint in its log compared. Throws on any failure.
    static func verifyFully(pool: PostgresPool, verifier: SignedNote.Verifier?, log: String?) async throws -> String {
        var checkpoints: [Checkpoint] = []
        if let verifier {
            let notes: [String]
            if let log { notes = try CheckpointLog(path: log).notes() } else { notes = try await CheckpointStore.notes(pool) }
            checkpoints = try CheckpointLog.checkpoints(notes: notes, verifier: verifier)
        }
        let v = try await AuditVerifier(pool: pool).verify(checkpoints: checkpoints, start: .beginning)
        if let failure = v.failure { throw AuditVerificationFailed(failure: failure) }
        return "audit verification: " + ([v.verdict] + v.explanation).joined(separator: "; ")
    }
}
