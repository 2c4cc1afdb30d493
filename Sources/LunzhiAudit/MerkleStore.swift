public import Foundation
public import PostgresLibPQ

/// The audit log's Merkle tree as PostgreSQL keeps it (`audit_tree`, SQL/0012): roots at any size
/// and proofs from O(log n) stored nodes, fetched in one query each.
public struct MerkleStore: Sendable {
    public typealias Hash = MerkleTree.Hash
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    public struct Missing: Error, CustomStringConvertible {
        public var level: Int
        public var index: Int
        public var description: String { "the stored tree has no node (\(level), \(index))" }
    }

    /// The number of leaves stored.
    public func size() async throws -> Int {
        try await pool.query("SELECT coalesce(max(idx) + 1, 0) AS n FROM audit_tree WHERE level = 0").single().decode("n")
    }

    /// MTH of the first `size` events.
    public func root(size: Int) async throws -> Hash {
        guard size > 0 else { return MerkleTree.root([]) }
        return try await evaluate(size: size) { subtree in try subtree(0, size) }
    }

    /// The leaf hash of event `seq`.
    public func leaf(seq: Int) async throws -> Hash {
        try await nodes([(0, seq - 1)])[Key(level: 0, index: seq - 1)].orThrow(Missing(level: 0, index: seq - 1))
    }

    /// The right edge of the stored tree at `size`: to go on appending from there.
    public func frontier(size: Int) async throws -> MerkleFrontier {
        let keys = size > 0 ? MerkleTree.storedNodes(0, size) : []
        let found = try await nodes(keys)
        return MerkleFrontier(
            size: size,
            subtrees: try keys.map { key in
                (key.level, try found[Key(level: key.level, index: key.index)].orThrow(Missing(level: key.level, index: key.index)))
            })
    }

    public func inclusionProof(index: Int, size: Int) async throws -> [Hash] {
        try await evaluate(size: size) { subtree in try MerkleTree.inclusionProof(index: index, size: size, subtree) }
    }

    public func consistencyProof(oldSize: Int, size: Int) async throws -> [Hash] {
        try await evaluate(size: size) { subtree in try MerkleTree.consistencyProof(oldSize: oldSize, size: size, subtree) }
    }

    struct Key: Hashable { var level: Int, index: Int }

    /// Runs `body` twice: first to learn which stored nodes it needs (one query fetches them all),
    /// then on them.
    private func evaluate<T>(size: Int, _ body: (MerkleTree.Subtree) throws -> T) async throws -> T {
        var wanted: [(Int, Int)] = []
        _ = try body { lo, hi in
            wanted += MerkleTree.storedNodes(lo, hi)
            return []
        }
        let found = try await nodes(wanted)
        return try body { lo, hi in
            try MerkleTree.subtree(lo, hi) { level, index in
                try found[Key(level: level, index: index)].orThrow(Missing(level: level, index: index))
            }
        }
    }

    private func nodes(_ keys: [(Int, Int)]) async throws -> [Key: Hash] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await pool.query(
            """
            SELECT t.level, t.idx, t.hash FROM audit_tree t
            JOIN unnest($1::smallint[], $2::bigint[]) AS k(level, idx) ON t.level = k.level AND t.idx = k.idx
            """, [keys.map(\.0), keys.map(\.1)])
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
        var node = (level: 0, hash: leaf)
        while let last = stack.last, last.level == node.level {
            stack.removeLast()
            node = (node.level + 1, MerkleTree.nodeHash(last.hash, node.hash))
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
