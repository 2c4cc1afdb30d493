import Crypto
import Foundation

/// RFC 9162 (RFC 6962) Merkle tree hashing and proofs over SHA-256, as Certificate
/// Transparency, Go's checksum database and the C2SP tlog specifications use them:
/// leaf hash `SHA-256(0x00 ‖ data)`, node hash `SHA-256(0x01 ‖ left ‖ right)`, the tree of n
/// leaves split at the largest power of two below n.
///
/// This is the pure part of the witnessed audit log (docs/audit-format.md): roots, inclusion
/// and consistency proofs from a list of leaf hashes, and their verification, which needs only
/// the proof, the hashes and the sizes. Storing the tree's nodes in PostgreSQL, so that proofs
/// come without reading the whole log, builds on it.
public enum MerkleTree {
    public typealias Hash = [UInt8]

    public static func leafHash(_ data: some Sequence<UInt8>) -> Hash {
        var hasher = SHA256()
        hasher.update(data: [0])
        hasher.update(data: Array(data))
        return Array(hasher.finalize())
    }

    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var hasher = SHA256()
        hasher.update(data: [1])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// MTH(D[n]) from the leaves' hashes; the hash of the empty string for no leaves.
    public static func root(_ leaves: ArraySlice<Hash>) -> Hash {
        switch leaves.count {
        case 0: return Array(SHA256.hash(data: [UInt8]()))
        case 1: return leaves[leaves.startIndex]
        default:
            let k = split(leaves.count)
            let middle = leaves.startIndex + k
            return nodeHash(root(leaves[..<middle]), root(leaves[middle...]))
        }
    }

    public static func root(_ leaves: [Hash]) -> Hash { root(leaves[...]) }

    /// The hash of the subtree over leaves `lo..<hi`, however it is found (from leaves in memory,
    /// or from the nodes stored in PostgreSQL: `MerkleStore`).
    public typealias Subtree = (_ lo: Int, _ hi: Int) throws -> Hash

    /// PATH(m, D[n]): the audit path of leaf `index` in the tree of `leaves`, leaf to root.
    public static func inclusionProof(index: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        precondition(index >= 0 && index < leaves.count, "leaf index out of the tree")
        let base = leaves.startIndex
        // The closure never throws.
        return (try? inclusionProof(index: index, size: leaves.count) { lo, hi in
            root(leaves[(base + lo)..<(base + hi)])
        }) ?? []
    }

    /// PATH(index, D[0:size]) from subtree hashes.
    public static func inclusionProof(index: Int, size: Int, _ subtree: Subtree) throws -> [Hash] {
        precondition(index >= 0 && index < size, "leaf index out of the tree")
        return try path(index, 0, size, subtree)
    }

    private static func path(_ m: Int, _ lo: Int, _ hi: Int, _ subtree: Subtree) throws -> [Hash] {
        let n = hi - lo
        guard n > 1 else { return [] }
        let k = split(n)
        if m < k { return try path(m, lo, lo + k, subtree) + [subtree(lo + k, hi)] }
        return try path(m - k, lo + k, hi, subtree) + [subtree(lo, lo + k)]
    }

    /// PROOF(m, D[n]): that the tree of the first `oldSize` leaves is a prefix of the tree of all.
    public static func consistencyProof(oldSize: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        precondition(oldSize > 0 && oldSize <= leaves.count, "old size out of the tree")
        let base = leaves.startIndex
        return (try? consistencyProof(oldSize: oldSize, size: leaves.count) { lo, hi in
            root(leaves[(base + lo)..<(base + hi)])
        }) ?? []
    }

    /// PROOF(oldSize, D[0:size]) from subtree hashes.
    public static func consistencyProof(oldSize: Int, size: Int, _ subtree: Subtree) throws -> [Hash] {
        precondition(oldSize > 0 && oldSize <= size, "old size out of the tree")
        return try subproof(oldSize, 0, size, complete: true, subtree)
    }

    private static func subproof(_ m: Int, _ lo: Int, _ hi: Int, complete: Bool, _ subtree: Subtree) throws -> [Hash] {
        let n = hi - lo
        if m == n { return complete ? [] : [try subtree(lo, hi)] }
        let k = split(n)
        if m <= k { return try subproof(m, lo, lo + k, complete: complete, subtree) + [subtree(lo + k, hi)] }
        return try subproof(m - k, lo + k, hi, complete: false, subtree) + [subtree(lo, lo + k)]
    }

    /// The stored (complete, aligned) subtrees whose hashes make up `lo..<hi`, as (level, index):
    /// a range of 2^j leaves starting at a multiple of 2^j is one node if level j is stored
    /// (`isStored`); any other splits at the largest power of two, as the tree does, down to the
    /// leaves (level 0, always stored).
    public static func storedNodes(_ lo: Int, _ hi: Int, isStored: (Int) -> Bool = { _ in true }) -> [(level: Int, index: Int)] {
        let n = hi - lo
        if n & (n - 1) == 0 && lo % n == 0 && (n == 1 || isStored(n.trailingZeroBitCount)) {
            return [(n.trailingZeroBitCount, lo / n)]
        }
        let k = split(n)
        return storedNodes(lo, lo + k, isStored: isStored) + storedNodes(lo + k, hi, isStored: isStored)
    }

    /// The hash of `lo..<hi` from the stored nodes `node(level, index)` (`storedNodes`).
    public static func subtree(_ lo: Int, _ hi: Int, isStored: (Int) -> Bool = { _ in true }, _ node: (Int, Int) throws -> Hash) rethrows -> Hash {
        let n = hi - lo
        if n & (n - 1) == 0 && lo % n == 0 && (n == 1 || isStored(n.trailingZeroBitCount)) {
            return try node(n.trailingZeroBitCount, lo / n)
        }
        let k = split(n)
        return nodeHash(try subtree(lo, lo + k, isStored: isStored, node), try subtree(lo + k, hi, isStored: isStored, node))
    }

    /// The complete subtrees a tree of `size` leaves is made of, largest first, as leaf ranges:
    /// one per bit of `size`.
    public static func completeSubtrees(size: Int) -> [(level: Int, lo: Int, hi: Int)] {
        var result: [(level: Int, lo: Int, hi: Int)] = []
        var lo = 0
        for level in stride(from: Int.bitWidth - 2, through: 0, by: -1) where size & (1 << level) != 0 {
            result.append((level, lo, lo + (1 << level)))
            lo += 1 << level
        }
        return result
    }

    /// RFC 9162 §2.1.3.2: whether `proof` shows the leaf at `index` in the tree of `size` with `root`.
    public static func verifyInclusion(leaf: Hash, index: Int, size: Int, proof: [Hash], root: Hash) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index
        var sn = size - 1
        var r = leaf
        for p in proof {
            guard sn > 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// RFC 9162 §2.1.4.2: whether `proof` shows the tree of `oldSize` with `oldRoot` is a prefix
    /// of the tree of `newSize` with `newRoot`.
    public static func verifyConsistency(
        oldSize: Int, newSize: Int, oldRoot: Hash, newRoot: Hash, proof: [Hash]
    ) -> Bool {
        guard oldSize > 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        guard let first = path.first else { return false }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = first
        var sr = first
        for c in path.dropFirst() {
            guard sn > 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr == oldRoot && sr == newRoot
    }

    /// The largest power of two smaller than `n` (n ≥ 2).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}
