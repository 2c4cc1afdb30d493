public import Foundation
import LunzhiCore
import Synchronization

/// A witness (C2SP tlog-witness): it cosigns a checkpoint of the log only when the checkpoint is
/// signed by the log's key and is consistent with the last one it cosigned, so one key holder
/// cannot show two histories. Its state — the size and root it last cosigned — is written to a
/// file (temporary file, fsync, rename, fsync of the directory) before it answers; a state file
/// it cannot read stops it (it never starts again from size 0), and every refused request is kept
/// as evidence.
public final class Witness: Sendable {
    public let signer: Cosignature.Signer
    let logKey: SignedNote.Verifier
    let statePath: String
    let evidenceDirectory: String?
    private let state: Mutex<State>

    struct State: Codable, Equatable {
        var origin: String
        var size: Int
        var root: String  // hex; empty at size 0
    }

    /// What `add` answers, as HTTP would: 200 with the cosignature line, 409 with the size the
    /// witness knows, or another refusal (400 malformed, 403 not this log's signature, 422 a proof
    /// that does not verify).
    public enum Answer: Sendable, Equatable {
        case cosigned(String)
        case conflict(knownSize: Int)
        case refused(status: Int, reason: String)
    }

    public struct StateError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(signer: Cosignature.Signer, logKey: SignedNote.Verifier, statePath: String, evidenceDirectory: String?)
        throws
    {
        self.signer = signer
        self.logKey = logKey
        self.statePath = statePath
        self.evidenceDirectory = evidenceDirectory
        if FileManager.default.fileExists(atPath: statePath) {
            guard let data = FileManager.default.contents(atPath: statePath),
                let loaded = try? JSONDecoder().decode(State.self, from: data), loaded.size >= 0,
                loaded.size == 0 ? loaded.root.isEmpty : Hex.decode(loaded.root)?.count == 32
            else {
                throw StateError(
                    description:
                        "the witness state \(statePath) is unreadable or corrupt: refusing to start (restore it, or retire this witness: starting again from size 0 would let a rewritten log be cosigned)"
                )
            }
            state = Mutex(loaded)
        } else {
            state = Mutex(State(origin: "", size: 0, root: ""))
        }
    }

    /// The size and root last cosigned.
    public var known: (size: Int, root: [UInt8]) {
        state.withLock { ($0.size, Hex.decode($0.root) ?? []) }
    }

    /// POST /add-checkpoint: `old <size>`, the consistency proof's hashes (base64, one a line), an
    /// empty line, then the signed checkpoint.
    public func add(_ body: String, now: Date = Date()) -> Answer {
        let answer = evaluate(body, now: now)
        if case .cosigned = answer {} else { keepEvidence(body, answer, now: now) }
        return answer
    }

    private func evaluate(_ body: String, now: Date) -> Answer {
        guard let split = body.range(of: "\n\n") else { return .refused(status: 400, reason: "no checkpoint after the proof") }
        let head = body[..<split.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        let note = String(body[split.upperBound...])
        guard let first = head.first, first.hasPrefix("old "), let old = Int(first.dropFirst(4)), old >= 0 else {
            return .refused(status: 400, reason: "the first line must be old <size>")
        }
        var proof: [[UInt8]] = []
        for line in head.dropFirst() {
            guard let hash = Data(base64Encoded: String(line)), hash.count == 32 else {
                return .refused(status: 400, reason: "a proof line is not a base64 hash")
            }
            proof.append(Array(hash))
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(note: note, verifier: logKey)
        } catch {
            return .refused(status: 403, reason: "not a checkpoint signed by \(logKey.name): \(error)")
        }
        guard let root = checkpoint.root else {
            return .refused(status: 400, reason: "a version-1 checkpoint has no Merkle root to witness")
        }
        return state.withLock { state -> Answer in
            if !state.origin.isEmpty && state.origin != checkpoint.origin {
                return .refused(status: 403, reason: "this witness follows \(state.origin), not \(checkpoint.origin)")
            }
            guard old == state.size else { return .conflict(knownSize: state.size) }
            guard checkpoint.size >= old else {
                return .refused(status: 400, reason: "the checkpoint's size \(checkpoint.size) is below old \(old)")
            }
            let knownRoot = Hex.decode(state.root) ?? []
            if checkpoint.size == old {
                guard proof.isEmpty, old == 0 || root == knownRoot else {
                    return .conflict(knownSize: state.size)
                }
            } else if old > 0 {
                guard
                    MerkleTree.verifyConsistency(
                        oldSize: old, newSize: checkpoint.size, oldRoot: knownRoot, newRoot: root, proof: proof)
                else {
                    return .refused(
                        status: 422, reason: "the consistency proof from \(old) to \(checkpoint.size) does not verify")
                }
            } else if !proof.isEmpty {
                return .refused(status: 422, reason: "a proof from size 0 is empty")
            }
            let next = State(origin: checkpoint.origin, size: checkpoint.size, root: Hex.encode(root))
            do {
                try Self.persist(next, to: statePath)
            } catch {
                return .refused(status: 500, reason: "the state could not be saved: \(error)")
            }
            state = next
            let text = String(note[..<(note.range(of: "\n\n")!.lowerBound)]) + "\n"
            guard let line = try? signer.cosign(text, time: UInt64(max(0, now.timeIntervalSince1970))) else {
                return .refused(status: 500, reason: "cosigning failed")
            }
            return .cosigned(line)
        }
    }

    /// Written whole to a temporary file, fsynced, renamed over the state, and the directory fsynced:
    /// after a crash the file is the old state or the new one, never a mix.
    static func persist(_ state: State, to path: String) throws {
        do {
            try DurableFile.replace(path, with: Array(try JSONEncoder().encode(state)), mode: 0o600)
        } catch let failed as DurableFile.Failed {
            throw StateError(description: failed.description)
        }
    }

    private func keepEvidence(_ body: String, _ answer: Answer, now: Date) {
        guard let evidenceDirectory else { return }
        try? FileManager.default.createDirectory(atPath: evidenceDirectory, withIntermediateDirectories: true)
        let stamp = Int64(now.timeIntervalSince1970 * 1_000_000)
        let path = "\(evidenceDirectory)/refused-\(stamp)-\(UUID().uuidString.prefix(8)).txt"
        try? "answer: \(answer)\n\n\(body)".write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// The request body for a checkpoint, from the size the witness last cosigned.
    public static func requestBody(old: Int, proof: [[UInt8]], note: String) -> String {
        "old \(old)\n" + proof.map { Data($0).base64EncodedString() + "\n" }.joined() + "\n" + note
    }
}
