public import Foundation
public import PostgresLibPQ

/// The audit log's Merkle tree as PostgreSQL keeps it (SQL/0012, SQL/0013): each event's leaf hash
/// on its row (`audit_event.leaf_hash`) and the complete subtrees of 16 leaves and more in
/// `audit_tree`. Roots at any size and proofs come from O(log n) stored hashes (at most 15 of them
/// leaves, for the levels not stored), fetched in one query each.
public struct MerkleStore: Sendable {
    public typealias Hash = MerkleTree.Hash
    let pool: PostgresPool

    /// The lowest level of `audit_tree`: subtrees of 2^4 = 16 leaves.
    public static let lowestStoredLevel = 4
    /// Whether `audit_event`/`audit_tree` keep the nodes of `level`.
    public static func isStored(_ level: Int) -> Bool { level == 0 || level >= lowestStoredLevel }

    public init(pool: PostgresPool) { self.pool = pool }

    public struct Missing: Error, CustomStringConvertible {
        public var level: Int
        public var index: Int
        public var description: String { "the stored tree has no node (\(level), \(index))" }
    }

    /// The number of leaves: the events sealed.
    public func size() async throws -> Int {
        try await pool.query("SELECT coalesce(max(seq), 0) AS n FROM audit_event").single().decode("n")
    }

    /// MTH of the first `size` events.
    public func root(size: Int) async throws -> Hash {
        guard size > 0 else { return MerkleTree.root([]) }
        return try await evaluate { subtree in try subtree(0, size) }
    }

    /// The leaf hash of event `seq`.
    public func leaf(seq: Int) async throws -> Hash {
        try await nodes([(0, seq - 1)])[Key(level: 0, index: seq - 1)].orThrow(Missing(level: 0, index: seq - 1))
    }

    /// The right edge of the stored tree at `size`: to go on appending from there.
    public func frontier(size: Int) async throws -> MerkleFrontier {
        let parts = MerkleTree.completeSubtrees(size: size)
        return MerkleFrontier(
            size: size,
            subtrees: try await evaluate { subtree in try parts.map { ($0.level, try subtree($0.lo, $0.hi)) } })
    }

    public func inclusionProof(index: Int, size: Int) async throws -> [Hash] {
        try await evaluate { subtree in try MerkleTree.inclusionProof(index: index, size: size, subtree) }
    }

    public func consistencyProof(oldSize: Int, size: Int) async throws -> [Hash] {
        try await evaluate { subtree in try MerkleTree.consistencyProof(oldSize: oldSize, size: size, subtree) }
    }

    struct Key: Hashable { var level: Int, index: Int }

    /// Runs `body` twice: first to learn which stored nodes it needs (one query fetches them all),
    /// then on them.
    private func evaluate<T>(_ body: (MerkleTree.Subtree) throws -> T) async throws -> T {
        var wanted: [(Int, Int)] = []
        _ = try body { lo, hi in
            wanted += MerkleTree.storedNodes(lo, hi, isStored: Self.isStored)
            return []
        }
        let found = try await nodes(wanted)
        return try body { lo, hi in
            try MerkleTree.subtree(lo, hi, isStored: Self.isStored) { level, index in
                try found[Key(level: level, index: index)].orThrow(Missing(level: level, index: index))
            }
        }
    }

    private func nodes(_ keys: [(Int, Int)]) async throws -> [Key: Hash] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await pool.query(
            """
            SELECT 0 AS level, e.seq - 1 AS idx, e.leaf_hash AS hash FROM audit_event e
            WHERE e.seq = ANY($3::bigint[])
            UNION ALL
            SELECT t.level, t.idx, t.hash FROM audit_tree t
            JOIN unnest($1::smallint[], $2::bigint[]) AS k(level, idx) ON t.level = k.level AND t.idx = k.idx
            """, [keys.filter { $0.0 > 0 }.map(\.0), keys.filter { $0.0 > 0 }.map(\.1), keys.filter { $0.0 == 0 }.map { $0.1 + 1 }])
        var result: [Key: Hash] = [:]
        for row in rows {
            let level: Int = try row.decode("level")
            let index: Int = try row.decode("idx")
            let hash: Data = try row.decode("hash")
            result[Key(level: level, index: index)] = Array(hash)
        }
        return result
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> some Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}

/// The right edge of a tree being built leaf by leaf: the roots of its complete subtrees, largest
/// first (at most log2 n hashes), so a verifier streaming a million events knows the root at every
/// size without keeping the leaves.
public struct MerkleFrontier: Sendable, Equatable {
    public private(set) var size = 0
    private var stack: [(level: Int, hash: MerkleTree.Hash)] = []

    public init() {}

    /// A frontier from the complete subtrees of a tree of `size`, largest first.
    public init(size: Int, subtrees: [(level: Int, hash: MerkleTree.Hash)]) {
        self.size = size
        self.stack = subtrees
    }

    public static func == (a: MerkleFrontier, b: MerkleFrontier) -> Bool {
        a.size == b.size && a.stack.map(\.hash) == b.stack.map(\.hash)
    }

    public mutating func append(_ leaf: MerkleTree.Hash) {
        append(leaf) { _, _ in }
    }

    /// Appends a leaf, telling `completed` each subtree it completes (level ≥ 1, lowest first).
    public mutating func append(_ leaf: MerkleTree.Hash, completed: (_ level: Int, _ hash: MerkleTree.Hash) -> Void) {
        var node = (level: 0, hash: leaf)
        while let last = stack.last, last.level == node.level {
            stack.removeLast()
            node = (node.level + 1, MerkleTree.nodeHash(last.hash, node.hash))
            completed(node.level, node.hash)
        }
        stack.append(node)
        size += 1
    }

    /// MTH of the leaves appended so far.
    public var root: MerkleTree.Hash {
        guard var hash = stack.last?.hash else { return MerkleTree.root([]) }
        for node in stack.dropLast().reversed() { hash = MerkleTree.nodeHash(node.hash, hash) }
        return hash
    }
}
