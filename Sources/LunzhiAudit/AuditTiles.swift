import Crypto
import Foundation
public import PostgresLibPQ

/// The audit log as static files in the C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles), so
/// any member can mirror it with rsync or an ordinary web server and check the whole log, or one
/// proof, without the database (docs/audit-format.md, "Tiles"):
///
/// ```
/// checkpoint                    the newest signed (and cosigned) checkpoint note
/// tile/<L>/<N>[.p/<W>]          hash tiles: 256 hashes of 32 bytes (W in a partial tile)
/// tile/entries/<N>[.p/<W>]      entry bundles: each event's canonical bytes, length-prefixed
/// ```
///
/// A level-0 tile holds 256 leaf hashes; a level-L tile the roots of 256 full tiles of level L − 1.
/// `<N>` is written in groups of three digits, all but the last prefixed `x` (`x001/x234/067`).
/// Entries are prefixed by their length as a big-endian uint16; an event of 65,535 bytes or more
/// (long minutes) has 0xFFFF and then its length as a big-endian uint32, which the specification
/// does not provide for (docs/audit-format.md says so).
public enum Tiles {
    public typealias Hash = MerkleTree.Hash
    /// Hashes per full tile (tile height 8).
    public static let width = 256

    /// `x001/x234/067` for 1234067.
    public static func encode(index: Int) -> String {
        var groups = [String(format: "%03d", index % 1000)]
        var rest = index / 1000
        while rest > 0 {
            groups.insert("x" + String(format: "%03d", rest % 1000), at: 0)
            rest /= 1000
        }
        return groups.joined(separator: "/")
    }

    /// `tile/<level>/<N>` or `tile/<level>/<N>.p/<width>`.
    public static func tilePath(level: Int, index: Int, width: Int) -> String {
        "tile/\(level)/" + encode(index: index) + (width == Self.width ? "" : ".p/\(width)")
    }

    /// `tile/entries/<N>` or `tile/entries/<N>.p/<width>`.
    public static func entriesPath(index: Int, width: Int) -> String {
        "tile/entries/" + encode(index: index) + (width == Self.width ? "" : ".p/\(width)")
    }

    /// The tiles of one level of a tree: full ones, then a partial one when the level's hashes
    /// are not a multiple of 256.
    struct Level {
        /// Hashes at this level: size / 256^level.
        let hashes: Int
        var full: Int { hashes / Tiles.width }
        var count: Int { (hashes + Tiles.width - 1) / Tiles.width }
        /// The width of tile `index` (256, or the partial one's); nil past the level's end.
        func width(_ index: Int) -> Int? {
            index >= 0 && index < full ? Tiles.width : index == full && hashes % Tiles.width > 0 ? hashes % Tiles.width : nil
        }
    }

    static func level(_ level: Int, size: Int) -> Level { Level(hashes: size >> (8 * level)) }

    public static func bundle(_ entries: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.reduce(0) { $0 + $1.count + 2 })
        for entry in entries {
            if entry.count < 0xFFFF {
                out += [UInt8(entry.count >> 8), UInt8(entry.count & 0xFF)]
            } else {
                out += [0xFF, 0xFF]
                out += (0..<4).map { UInt8((entry.count >> (24 - 8 * $0)) & 0xFF) }
            }
            out += entry
        }
        return out
    }

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    public static func unbundle(_ data: [UInt8]) throws -> [[UInt8]] {
        var entries: [[UInt8]] = []
        var i = 0
        while i < data.count {
            guard i + 2 <= data.count else { throw Malformed(description: "an entry bundle ends inside a length") }
            var length = Int(data[i]) << 8 | Int(data[i + 1])
            i += 2
            if length == 0xFFFF {
                guard i + 4 <= data.count else { throw Malformed(description: "an entry bundle ends inside a length") }
                length = data[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) }
                i += 4
            }
            guard i + length <= data.count else { throw Malformed(description: "an entry bundle ends inside an entry") }
            entries.append(Array(data[i..<(i + length)]))
            i += length
        }
        return entries
    }

    static func hashes(_ data: [UInt8]) -> [Hash] {
        stride(from: 0, to: data.count, by: 32).map { Array(data[$0..<min($0 + 32, data.count)]) }
    }
}

/// Writes the tiles of the log at a signed checkpoint: the full tiles not yet written, the partial
/// ones of this size, then — after checking that the tiles give the checkpoint's root — the
/// checkpoint file. Files appear whole (written aside and renamed); the checkpoint file is fsynced
/// last, so a mirror never sees a checkpoint whose tiles are missing.
public struct TileWriter: Sendable {
    public let pool: PostgresPool
    public let directory: String

    public init(pool: PostgresPool, directory: String) {
        self.pool = pool
        self.directory = directory
    }

    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes the tiles for `checkpoint` (whose note, with any cosignatures, becomes the
    /// checkpoint file). Does nothing when the directory already holds that note.
    public func write(_ checkpoint: Checkpoint) async throws {
        guard let root = checkpoint.root else {
            throw Failed(description: "checkpoint \(checkpoint.size) is version 1 (no Merkle root): tiles need version 2")
        }
        let size = checkpoint.size
        let previous = try? String(contentsOfFile: path("checkpoint"), encoding: .utf8)
        if previous == checkpoint.note { return }
        // The size the directory was last published at (its second line), for the cleanup below.
        let previousSize = previous.flatMap { $0.split(separator: "\n").dropFirst().first.flatMap { Int($0) } } ?? 0
        var cache: [Key: [Tiles.Hash]] = [:]

        // Level 0 and the entries, from the first full tile missing (normally the one the last
        // checkpoint left partial) to the end.
        let level0 = Tiles.level(0, size: size)
        var first = 0
        while first < level0.full, exists(Tiles.tilePath(level: 0, index: first, width: Tiles.width)),
            exists(Tiles.entriesPath(index: first, width: Tiles.width))
        {
            first += 1
        }
        var pending: [[UInt8]] = []
        var tile = first
        var next = first * Tiles.width + 1
        let pageSize = 16 * Tiles.width
        while next <= size {
            let rows = try await pool.query(
                "SELECT \(AuditRecord.selectList) FROM audit_event WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
                [next, min(size, next + pageSize - 1)])
            for row in rows {
                let record = try AuditRecord(row: row)
                guard record.seq == next else {
                    throw Failed(description: "event \(next) is missing from the database")
                }
                pending.append(record.canonicalBytes)
                next += 1
                if pending.count == Tiles.width || next > size {
                    let leaves = pending.map { MerkleTree.leafHash($0) }
                    try put(Tiles.bundle(pending), at: Tiles.entriesPath(index: tile, width: pending.count))
                    try put(leaves.flatMap { $0 }, at: Tiles.tilePath(level: 0, index: tile, width: pending.count))
                    cache[Key(level: 0, index: tile)] = leaves
                    pending.removeAll(keepingCapacity: true)
                    tile += 1
                }
            }
            guard !rows.isEmpty else { throw Failed(description: "event \(next) is missing from the database") }
        }

        // Each higher level: its hashes are the roots of the full tiles below.
        var level = 1
        while Tiles.level(level, size: size).hashes > 0 {
            let tiles = Tiles.level(level, size: size)
            for index in 0..<tiles.count {
                guard let width = tiles.width(index) else { break }
                let path = Tiles.tilePath(level: level, index: index, width: width)
                if width == Tiles.width, exists(path) { continue }
                var hashes: [Tiles.Hash] = []
                for i in 0..<width {
                    hashes.append(MerkleTree.root(try full(level: level - 1, index: index * Tiles.width + i, cache: cache)))
                }
                try put(hashes.flatMap { $0 }, at: path)
                cache[Key(level: level, index: index)] = hashes
            }
            level += 1
        }

        // The tiles must give the root the checkpoint signs before the checkpoint is published.
        let reader = TileReader(directory: directory, size: size)
        let tilesRoot = try reader.root()
        guard tilesRoot == root else {
            throw Failed(description: "the tiles written give a root other than checkpoint \(size)'s: not published")
        }
        sync()
        try DurableFile.replace(path("checkpoint"), with: Array(checkpoint.note.utf8), mode: 0o644)
        removePartials(completedSince: min(previousSize, size), size: size)
    }

    /// Removes the partial tiles and bundles whose full tile now exists, as the specification
    /// allows: what a checkpoint every few minutes leaves behind stays bounded (at most 255
    /// partial widths per level, kept while their tile is not full). Best effort: a file left
    /// over is harmless.
    private func removePartials(completedSince previousSize: Int, size: Int) {
        var level = 0
        while Tiles.level(level, size: size).hashes > 0 {
            for index in Tiles.level(level, size: previousSize).full..<Tiles.level(level, size: size).full {
                let partial = Tiles.tilePath(level: level, index: index, width: Tiles.width) + ".p"
                try? FileManager.default.removeItem(atPath: path(partial))
                if level == 0 {
                    try? FileManager.default.removeItem(atPath: path(Tiles.entriesPath(index: index, width: Tiles.width) + ".p"))
                }
            }
            level += 1
        }
    }

    struct Key: Hashable {
        var level: Int
        var index: Int
    }

    /// A full tile's hashes: written this time, or read from the directory.
    private func full(level: Int, index: Int, cache: [Key: [Tiles.Hash]]) throws -> [Tiles.Hash] {
        if let hashes = cache[Key(level: level, index: index)], hashes.count == Tiles.width { return hashes }
        let path = Tiles.tilePath(level: level, index: index, width: Tiles.width)
        guard let data = FileManager.default.contents(atPath: self.path(path)), data.count == 32 * Tiles.width else {
            throw Failed(description: "\(path) is missing or not 8,192 bytes")
        }
        return Tiles.hashes(Array(data))
    }

    private func path(_ relative: String) -> String { directory + "/" + relative }

    private func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    /// Written aside and renamed into place, directories created as needed (no fsync: the tiles
    /// can be rewritten from the database; the checkpoint file is fsynced after all of them).
    private func put(_ bytes: [UInt8], at relative: String) throws {
        let target = path(relative)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try DurableFile.replace(target, with: bytes, mode: 0o644, fsync: false)
    }
}

/// Reads a tiles directory (a mirror, with no database): the checkpoint, any subtree's hash,
/// entries, and inclusion proofs.
public struct TileReader {
    public let directory: String
    public let size: Int

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// The tiles of a tree of `size` (the size of a checkpoint already checked).
    public init(directory: String, size: Int) {
        self.directory = directory
        self.size = size
    }

    /// The directory's checkpoint, checked with the log's key; a version-1 note is refused.
    public static func checkpoint(in directory: String, verifier: SignedNote.Verifier) throws -> Checkpoint {
        guard let note = try? String(contentsOfFile: directory + "/checkpoint", encoding: .utf8) else {
            throw Invalid(description: "\(directory)/checkpoint cannot be read")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(note: note, verifier: verifier)
        } catch {
            throw Invalid(description: "\(directory)/checkpoint does not verify with \(verifier.name): \(error)")
        }
        guard checkpoint.root != nil else { throw Invalid(description: "\(directory)/checkpoint is version 1 (no Merkle root)") }
        return checkpoint
    }

    /// The file at `relative`, whole.
    func file(_ relative: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: directory + "/" + relative) else {
            throw Invalid(description: "\(relative) is missing")
        }
        return Array(data)
    }

    /// The hashes of tile `index` at `level` as the tree of `size` has it (full, or partial).
    func tile(level: Int, index: Int) throws -> [Tiles.Hash] {
        guard let width = Tiles.level(level, size: size).width(index) else {
            throw Invalid(description: "a tree of \(size) has no tile \(index) at level \(level)")
        }
        let relative = Tiles.tilePath(level: level, index: index, width: width)
        let data = try file(relative)
        guard data.count == 32 * width else { throw Invalid(description: "\(relative) is \(data.count) bytes, not \(32 * width)") }
        return Tiles.hashes(data)
    }

    /// The hash of the aligned subtree of 2^`level` leaves numbered `index` at that level.
    func node(level: Int, index: Int) throws -> Tiles.Hash {
        let tileLevel = level / 8
        let span = 1 << (level % 8)
        let first = index * span
        let hashes = try tile(level: tileLevel, index: first / Tiles.width)
        let start = first % Tiles.width
        guard start + span <= hashes.count else {
            throw Invalid(description: "tile \(first / Tiles.width) at level \(tileLevel) is too short for node (\(level), \(index))")
        }
        return MerkleTree.root(hashes[start..<(start + span)])
    }

    /// MTH of leaves `lo..<hi`.
    public func subtree(_ lo: Int, _ hi: Int) throws -> Tiles.Hash {
        try MerkleTree.subtree(lo, hi) { level, index in try node(level: level, index: index) }
    }

    public func root() throws -> Tiles.Hash {
        size == 0 ? MerkleTree.root([]) : try subtree(0, size)
    }

    /// Event `seq`'s canonical bytes, from its entry bundle.
    public func entry(seq: Int) throws -> [UInt8] {
        guard seq >= 1, seq <= size else { throw Invalid(description: "the log of \(size) events has no event \(seq)") }
        return try bundle((seq - 1) / Tiles.width)[(seq - 1) % Tiles.width]
    }

    /// The entries of bundle `index`, as many as the tree of `size` puts in it.
    func bundle(_ index: Int) throws -> [[UInt8]] {
        guard let width = Tiles.level(0, size: size).width(index) else {
            throw Invalid(description: "a log of \(size) events has no entry bundle \(index)")
        }
        let relative = Tiles.entriesPath(index: index, width: width)
        let entries = try Tiles.unbundle(try file(relative))
        guard entries.count == width else {
            throw Invalid(description: "\(relative) holds \(entries.count) entries, not \(width)")
        }
        return entries
    }

    /// Every entry bundle in order, with its level-0 tile: for scans and full checks.
    public func forEachBundle(_ body: (_ firstSeq: Int, _ entries: [[UInt8]], _ leaves: [Tiles.Hash]) throws -> Bool) throws {
        for index in 0..<Tiles.level(0, size: size).count {
            guard try body(index * Tiles.width + 1, try bundle(index), try tile(level: 0, index: index)) else { return }
        }
    }

    /// The proof that event `seq` is in the checkpoint's tree, from the tiles: the same proof
    /// `AUDIT PROVE` gives from the database, its event line without the chain hashes (the
    /// tiles hold the events, not the chain).
    public func prove(seq: Int, checkpoint: Checkpoint) throws -> InclusionProof {
        let bytes = try entry(seq: seq)
        guard let record = AuditRecord(canonical: bytes), record.seq == seq else {
            throw Invalid(description: "entry \(seq) is not an audit event in the canonical encoding")
        }
        let leaf = MerkleTree.leafHash(bytes)
        let leaves = try tile(level: 0, index: (seq - 1) / Tiles.width)
        guard leaves[(seq - 1) % Tiles.width] == leaf else {
            throw Invalid(description: "entry \(seq) does not hash to its leaf in the level-0 tile")
        }
        let path = try MerkleTree.inclusionProof(index: seq - 1, size: size) { lo, hi in try subtree(lo, hi) }
        return InclusionProof(
            seq: seq, treeSize: size, leafHash: leaf, path: path, checkpoint: checkpoint.note,
            event: AuditExporter.jsonLine(record, recordedAt: nil))
    }

    /// The whole log from the tiles alone, against `checkpoint` (already checked with the log's
    /// key): every entry is event seq in the canonical encoding and hashes to its leaf in the
    /// level-0 tile, the chain recomputed from the entries ends at the checkpoint's chain head,
    /// and the root of the leaves is the checkpoint's root. Returns the first thing wrong.
    public func verify(against checkpoint: Checkpoint) throws -> AuditFailure? {
        var chain = AuditRecord.genesisHash
        var frontier = MerkleFrontier()
        var failure: AuditFailure?
        try forEachBundle { first, entries, leaves in
            for (offset, entry) in entries.enumerated() {
                let seq = first + offset
                guard let record = AuditRecord(canonical: entry), record.seq == seq else {
                    failure = AuditFailure(seq: seq, problem: "its entry is not event \(seq) in the canonical encoding")
                    return false
                }
                let leaf = MerkleTree.leafHash(entry)
                guard leaf == leaves[offset] else {
                    failure = AuditFailure(seq: seq, problem: "its entry does not hash to its leaf in the level-0 tile")
                    return false
                }
                // The chain hash is SHA-256(previous ‖ canonical bytes), and the entry is those bytes.
                var hasher = SHA256()
                hasher.update(data: chain)
                hasher.update(data: entry)
                chain = Array(hasher.finalize())
                frontier.append(leaf)
            }
            return true
        }
        if let failure { return failure }
        if size > 0, chain != checkpoint.head {
            return AuditFailure(seq: size, problem: "the chain recomputed from the entries is not the checkpoint's chain head")
        }
        if frontier.root != checkpoint.root {
            return AuditFailure(seq: size, problem: "the Merkle root of the entries is not the root the checkpoint signs")
        }
        if try root() != checkpoint.root {
            return AuditFailure(seq: size, problem: "the higher tiles do not give the root of the entries")
        }
        return nil
    }

    /// The seq of the event that recorded decision `number`, by scanning the entries.
    public func decision(_ number: String) throws -> Int? {
        var found: Int?
        try forEachBundle { first, entries, _ in
            for (offset, bytes) in entries.enumerated() {
                guard let record = AuditRecord(canonical: bytes), record.action == "consultation.decide",
                    let after = record.after,
                    let object = try? JSONSerialization.jsonObject(with: Data(after.utf8)) as? [String: Any],
                    object["number"] as? String == number
                else { continue }
                found = first + offset
                return false
            }
            return true
        }
        return found
    }
}

extension AuditRecord {
    /// An event from its canonical bytes (version 1); the chain hashes are not in them and stay empty.
    public init?(canonical bytes: [UInt8]) {
        let prefix = Array("lunzhi-audit-v1".utf8)
        guard bytes.starts(with: prefix) else { return nil }
        var i = prefix.count
        var fields: [String?] = []
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "-") {
                fields.append(nil)
                i += 1
                continue
            }
            var length = 0
            var digits = 0
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9"), digits < 10 {
                length = length * 10 + Int(bytes[i] - UInt8(ascii: "0"))
                i += 1
                digits += 1
            }
            guard digits > 0, i < bytes.count, bytes[i] == UInt8(ascii: ":"), i + 1 + length <= bytes.count,
                let text = String(validating: bytes[(i + 1)..<(i + 1 + length)], as: UTF8.self)
            else { return nil }
            fields.append(text)
            i += 1 + length
        }
        guard fields.count == 12, let seq = fields[0].flatMap({ Int($0) }), let at = fields[1].flatMap({ Int64($0) }),
            let principalName = fields[3], let action = fields[6], let entity = fields[7], let entityID = fields[8]
        else { return nil }
        self.init(
            seq: seq, atMicroseconds: at, principalID: fields[2].flatMap { Int($0) }, principalName: principalName,
            mechanism: fields[4], member: fields[5], action: action, entity: entity, entityID: entityID,
            before: fields[9], after: fields[10], reason: fields[11], prevHash: [], hash: [])
        guard canonicalBytes == bytes else { return nil }
    }
}

/// Files replaced whole: written to a temporary name beside them, optionally fsynced, renamed over
/// the old one, and the directory fsynced; after a crash the file is the old one or the new one.
enum DurableFile {
    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t, fsync durable: Bool = true) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { throw Failed(description: "cannot write \(temporary): errno \(errno)") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            guard n > 0 else {
                close(fd)
                unlink(temporary)
                throw Failed(description: "cannot write \(temporary): errno \(errno)")
            }
            offset += n
        }
        if durable, fsync(fd) != 0 {
            close(fd)
            unlink(temporary)
            throw Failed(description: "cannot write \(temporary): errno \(errno)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failed(description: "cannot rename to \(path): errno \(errno)")
        }
        if durable {
            let parent = (path as NSString).deletingLastPathComponent
            let directory = open(parent.isEmpty ? "." : parent, O_RDONLY)
            if directory >= 0 {
                fsync(directory)
                close(directory)
            }
        }
    }
}
