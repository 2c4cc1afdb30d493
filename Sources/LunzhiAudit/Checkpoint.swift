public import Foundation
import PostgresLibPQ

/// A signed statement of the audit log's head, in the C2SP tlog-checkpoint layout
/// (https://c2sp.org/tlog-checkpoint). Version 2 (since SQL/0012):
///
/// ```
/// <origin>
/// <size: the number of events, which is the seq of the last>
/// <base64 of the RFC 9162 Merkle root of the first `size` events>
/// chain <base64 of the chain hash of event `size`>
/// time <UTC, microseconds, RFC 3339>
/// ```
///
/// Version 1 (before the tree) had the chain's head hash on the third line and no `chain` line;
/// such checkpoints, already signed, keep verifying as they are (`root` is nil for them).
public struct Checkpoint: Sendable, Equatable {
    public var origin: String
    public var size: Int
    public var head: [UInt8]
    /// The Merkle root at `size` (version 2); nil for a version-1 checkpoint.
    public var root: [UInt8]?
    public var time: String
    /// The signed note (text, empty line, signature lines).
    public var note: String

    /// Signs a checkpoint: version 2 with `root`, version 1 without.
    public init(
        origin: String, size: Int, head: [UInt8], root: [UInt8]? = nil, time: Date, signer: SignedNote.Signer
    ) throws {
        self.origin = origin
        self.size = size
        self.head = head
        self.root = root
        self.time = PostgresTimestamp.format(time)
        guard !origin.isEmpty, !origin.contains("\n") else { throw SignedNote.NoteError("the origin must be one line") }
        let text =
            if let root {
                "\(origin)\n\(size)\n\(Data(root).base64EncodedString())\nchain \(Data(head).base64EncodedString())\ntime \(self.time)\n"
            } else {
                "\(origin)\n\(size)\n\(Data(head).base64EncodedString())\ntime \(self.time)\n"
            }
        self.note = try SignedNote.sign(text, with: signer)
    }

    /// Parses a note after checking its signature by `verifier`.
    public init(note: String, verifier: SignedNote.Verifier) throws {
        let text = try SignedNote.open(note, verifier: verifier)
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.count >= 3, let size = Int(lines[1]), size >= 0, String(size) == lines[1],
            let head = Data(base64Encoded: lines[2]), head.count == 32
        else { throw SignedNote.NoteError("not a checkpoint: origin, size and head hash expected") }
        self.origin = lines[0]
        self.size = size
        if let chain = lines.dropFirst(3).first(where: { $0.hasPrefix("chain ") }) {
            guard let chainHead = Data(base64Encoded: String(chain.dropFirst(6))), chainHead.count == 32 else {
                throw SignedNote.NoteError("not a checkpoint: the chain line is not a hash")
            }
            self.root = Array(head)
            self.head = Array(chainHead)
        } else {
            self.root = nil
            self.head = Array(head)
        }
        self.time = lines.dropFirst(3).first { $0.hasPrefix("time ") }.map { String($0.dropFirst(5)) } ?? ""
        self.note = note
    }
}

/// A checkpoint log file: signed notes one after another, each followed by an empty line.
/// Kept outside the database (and copied to every member), so a rewrite of the database's
/// history cannot rewrite it too.
public struct CheckpointLog: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The notes in the file, in order (none when the file does not exist yet).
    public func notes() throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return Self.split(text)
    }

    /// Splits a file into notes: a run of text lines, an empty line, a run of signature lines.
    static func split(_ text: String) -> [String] {
        var notes: [String] = []
        var current = ""
        var inSignatures = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                if !inSignatures && !current.isEmpty {
                    current += "\n"
                    inSignatures = true
                } else if inSignatures {
                    notes.append(current)
                    current = ""
                    inSignatures = false
                }
                continue
            }
            if inSignatures && !line.hasPrefix(SignedNote.dash) {
                notes.append(current)
                current = ""
                inSignatures = false
            }
            current += line + "\n"
        }
        if !current.isEmpty { notes.append(current) }
        return notes
    }

    /// Every checkpoint, each signature checked, and the sizes never shrinking. The error names
    /// the checkpoint (1-based, in file order) and what is wrong with it.
    public func checkpoints(verifier: SignedNote.Verifier) throws -> [Checkpoint] {
        try Self.checkpoints(notes: notes(), verifier: verifier)
    }

    public static func checkpoints(notes: [String], verifier: SignedNote.Verifier) throws -> [Checkpoint] {
        var result: [Checkpoint] = []
        for (i, note) in notes.enumerated() {
            let checkpoint: Checkpoint
            do {
                checkpoint = try Checkpoint(note: note, verifier: verifier)
            } catch {
                throw CheckpointError(index: i + 1, problem: "\(error)")
            }
            if let last = result.last, checkpoint.size < last.size {
                throw CheckpointError(
                    index: i + 1, problem: "the log shrinks from \(last.size) to \(checkpoint.size) events")
            }
            if let last = result.last, checkpoint.size == last.size, checkpoint.head != last.head {
                throw CheckpointError(index: i + 1, problem: "a different head for the same size \(last.size)")
            }
            result.append(checkpoint)
        }
        return result
    }

    /// Appends a note and forces it to disk before returning.
    public func append(_ note: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CheckpointError(index: 0, problem: "cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        let bytes = Array((note + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw CheckpointError(index: 0, problem: "cannot write \(path): errno \(errno)")
        }
    }
}

public struct CheckpointError: Error, Equatable, CustomStringConvertible {
    /// 1-based position in the checkpoint log; 0 for the file itself.
    public var index: Int
    public var problem: String
    public var description: String { index > 0 ? "checkpoint \(index): \(problem)" : problem }
}
