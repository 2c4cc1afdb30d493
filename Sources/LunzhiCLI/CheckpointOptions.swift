import ArgumentParser
import Foundation
import Logging
import LunzhiAudit
import LunzhiConsole
import LunzhiCore
import PostgresLibPQ

/// Signing options shared by `lunzhi audit checkpoint` and `lunzhi remind`.
struct CheckpointOptions: ParsableArguments {
    @Option(name: .customLong("checkpoint-key"), help: "The signer key file (from `lunzhi audit keygen`).")
    var key: String?
    @Option(name: .customLong("checkpoint-log"), help: "The checkpoint log file to append to.") var log: String?
    @Option(name: .customLong("checkpoint-origin"), help: "The checkpoints' origin line.") var origin: String = SettingDefaults.checkpointOrigin
    @Flag(name: .customLong("checkpoint-notify"), help: "Also send each checkpoint to every member as a reminder.")
    var notify = false

    var configured: Bool { key != nil || log != nil }

    /// The verifier of the signer key, when one is given.
    func verifier() throws -> SignedNote.Verifier? {
        guard let key else { return nil }
        let signer = try SignedNote.Signer(encoded: try String(contentsOfFile: key, encoding: .utf8))
        return try SignedNote.Verifier(encoded: signer.verifierKey)
    }

    func checkpointer(pool: PostgresPool) throws -> AuditCheckpointer {
        guard let key, let log else { throw ValidationError("--checkpoint-key and --checkpoint-log are both needed") }
        let signer = try SignedNote.Signer(encoded: try String(contentsOfFile: key, encoding: .utf8))
        return AuditCheckpointer(pool: pool, signer: signer, log: CheckpointLog(path: log), origin: origin)
    }
}
