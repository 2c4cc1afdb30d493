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

    @Option(
        name: .customLong("witness"),
        help: "A witness to ask for a cosignature: URL+KEY (its address, then its verifier key); repeat it, or separate several with commas.")
    var witness: [String] = []
    @Option(name: .customLong("witness-quorum"), help: "Cosignatures that make a checkpoint witnessed (default: 3, or all when fewer).")
    var witnessQuorum: Int?
    @Option(
        name: .customLong("witness-timeout"),
        help: "Seconds a witness may take to answer before the checkpoint is kept without its cosignature (default: 5).")
    var witnessTimeout: Int = 5
    @Option(
        name: .customLong("tiles-dir"),
        help: "Also keep the log as C2SP tlog-tiles in this directory (checkpoint, hash tiles, entry bundles) for members to mirror.")
    var tilesDirectory: String?

    var configured: Bool { key != nil || log != nil }

    /// The witnesses configured.
    func witnesses() throws -> [WitnessEndpoint] {
        try witness.flatMap { $0.split(separator: ",") }.map { try WitnessEndpoint(parsing: String($0)) }
    }

    /// The verifier of the signer key, when one is given.
    func verifier() throws -> SignedNote.Verifier? {
        guard let key else { return nil }
        let signer = try SignedNote.Signer(encoded: try String(contentsOfFile: key, encoding: .utf8))
        return try SignedNote.Verifier(encoded: signer.verifierKey)
    }

    func checkpointer(pool: PostgresPool) throws -> AuditCheckpointer {
        guard let key, let log else { throw ValidationError("--checkpoint-key and --checkpoint-log are both needed") }
        let signer = try SignedNote.Signer(encoded: try String(contentsOfFile: key, encoding: .utf8))
        let witnesses = try self.witnesses()
        if let witnessQuorum, !(0...witnesses.count).contains(witnessQuorum) {
            throw ValidationError("--witness-quorum must be between 0 and the number of witnesses (\(witnesses.count))")
        }
        guard (1...600).contains(witnessTimeout) else { throw ValidationError("--witness-timeout must be 1 to 600 seconds") }
        return AuditCheckpointer(
            pool: pool, signer: signer, log: CheckpointLog(path: log), origin: origin, witnesses: witnesses,
            quorum: witnessQuorum, witnessTimeout: .seconds(witnessTimeout), tilesDirectory: tilesDirectory)
    }
}
