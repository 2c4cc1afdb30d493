import ArgumentParser
import Foundation
import Histogram
import LunzhiAudit
import PostgresLibPQ

/// `lunzhi-audit-bench`: the timings of Benchmarks/audit.sh that no command prints by itself —
/// proofs from the stored tree, and witness round trips. Not part of the service.
@main
struct AuditBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lunzhi-audit-bench", abstract: "Time Merkle proofs and witness round trips on a real database.",
        subcommands: [Proofs.self, Witnesses.self])

    /// Microseconds, HdrHistogram, printed as p50/p99/max in milliseconds.
    struct Timings {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        mutating func record(_ duration: Duration) {
            let (seconds, attoseconds) = duration.components
            histogram.record(UInt64(max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)))
        }
        func ms(_ p: Double) -> String { String(format: "%.3f", Double(histogram.valueAtPercentile(p)) / 1000) }
        var summary: String { "p50 \(ms(50)) ms, p99 \(ms(99)) ms, max \(ms(100)) ms" }
    }

    struct Proofs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inclusion and consistency proofs of random events and sizes from the stored tree, and their verification.")
        @Option(name: .customLong("database-url")) var databaseURL: String
        @Option var count = 2000

        func run() async throws {
            let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: databaseURL), options: .init(maximumConnections: 1))
            let store = MerkleStore(pool: pool)
            let size = try await store.size()
            let root = try await store.root(size: size)
            let bound = size <= 1 ? 0 : Int.bitWidth - (size - 1).leadingZeroBitCount
            var generation = Timings(), verification = Timings(), consistency = Timings(), consistencyCheck = Timings()
            var longest = 0
            var generator = SystemRandomNumberGenerator()
            let clock = ContinuousClock()
            for _ in 0..<count {
                let index = Int.random(in: 0..<size, using: &generator)
                var start = clock.now
                let path = try await store.inclusionProof(index: index, size: size)
                generation.record(clock.now - start)
                longest = max(longest, path.count)
                let leaf: [UInt8] = try await store.leaf(seq: index + 1)
                start = clock.now
                let ok = MerkleTree.verifyInclusion(leaf: leaf, index: index, size: size, proof: path, root: root)
                verification.record(clock.now - start)
                guard ok else { throw ValidationError("the proof of leaf \(index) does not verify") }

                let old = Int.random(in: 1...size, using: &generator)
                start = clock.now
                let proof = try await store.consistencyProof(oldSize: old, size: size)
                consistency.record(clock.now - start)
                let oldRoot = try await store.root(size: old)
                start = clock.now
                let consistent = MerkleTree.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: root, proof: proof)
                consistencyCheck.record(clock.now - start)
                guard consistent else { throw ValidationError("the consistency proof from \(old) does not verify") }
            }
            await pool.close()
            print("tree of \(size) events, \(count) random proofs each; ⌈log2 n⌉ = \(bound), longest inclusion path \(longest)")
            print("inclusion proof from the database:   \(generation.summary)")
            print("inclusion proof verification:        \(verification.summary)")
            print("consistency proof from the database: \(consistency.summary)")
            print("consistency proof verification:      \(consistencyCheck.summary)")
        }
    }

    struct Witnesses: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append an event, sign a checkpoint and ask every witness to cosign it; time the witnesses' part.")
        @Option(name: .customLong("database-url")) var databaseURL: String
        @Option(name: .customLong("checkpoint-key")) var key: String
        @Option(name: .customLong("witness"), help: "URL+KEY; repeat.") var witness: [String]
        @Option var rounds = 200

        func run() async throws {
            let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: databaseURL), options: .init(maximumConnections: 4))
            let signer = try SignedNote.Signer(encoded: try String(contentsOfFile: key, encoding: .utf8))
            let witnesses = try witness.map { try WitnessEndpoint(parsing: $0) }
            let checkpointer = AuditCheckpointer(
                pool: pool, signer: signer, log: CheckpointLog(path: "/dev/null"), witnesses: witnesses)
            let store = MerkleStore(pool: pool)
            var previous = try await store.size()
            var timings = Timings()
            var fewer = 0
            let clock = ContinuousClock()
            // Round 0 is a warm-up (connections opened, each witness brought up to the log's size
            // through its 409): not counted.
            for round in 0...rounds {
                try await pool.query(
                    """
                    INSERT INTO audit_event (at, principal_name, action, entity, entity_id, prev_hash, hash)
                    VALUES (now(), 'bench', 'bench.witness', 'bench', '1', '\\x'::bytea, '\\x'::bytea)
                    """)
                let size = previous + 1
                let head: Data = try await pool.query("SELECT hash FROM audit_event WHERE seq = $1", [size]).single().decode("hash")
                let checkpoint = try Checkpoint(
                    origin: "lunzhi-audit", size: size, head: Array(head), root: try await store.root(size: size), time: Date(),
                    signer: signer)
                let start = clock.now
                let lines = await checkpointer.cosignatures(for: checkpoint, previousSize: previous)
                if round > 0 {
                    timings.record(clock.now - start)
                    if lines.count < witnesses.count { fewer += 1 }
                }
                previous = size
            }
            await pool.close()
            print("witness round trip, \(witnesses.count) witnesses in parallel, \(rounds) checkpoints: \(timings.summary); rounds with fewer than \(witnesses.count) cosignatures: \(fewer)")
        }
    }
}
