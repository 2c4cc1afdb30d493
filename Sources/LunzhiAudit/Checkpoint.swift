public import Foundation
import PostgresLibPQ

/// A signed statement of the audit log's head, in the C2SP tlog-checkpoint layout
/// (https://c2sp.org/tlog-checkpoint):
///
/// ```
/// <origin>
/// <size: the number of events, which is the seq of the last>
/// <base64 of the head hash: the hash of event `size`, all zeros when empty>
/// time <UTC, microseconds, RFC 3339>
/// ```
///
/// Lunzhi's log is a hash chain, not a Merkle tree, so the third line is the chain's head hash
/// rather than a tree root; the rest follows the format.
public struct Checkpoint: Sendable, Equatable {
    public var origin: String
    public var size: Int
    public var head: [UInt8]
    public var time: String
    /// The signed note (text, empty line, signature lines).
    public var note: String

    public init(origin: String, size: Int, head: [UInt8], time: Date, signer: SignedNote.Signer) throws {
        self.origin = origin
        self.size = size
        self.head = head
        self.time = PostgresTimestamp.format(microseconds: PostgresTimestamp.microseconds(time))
        guard !origin.isEmpty, !origin.contains("\n") else { throw SignedNote.NoteError("the origin must be one line") }
        let text = "\(origin)\n\(size)\n\(Data(head).base64EncodedString())\ntime \(self.time)\n"
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
        self.head = Array(head)
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
