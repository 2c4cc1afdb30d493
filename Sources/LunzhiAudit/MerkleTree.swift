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

    /// PATH(m, D[n]): the audit path of leaf `index` in the tree of `leaves`, leaf to root.
    public static func inclusionProof(index: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        precondition(index >= 0 && index < leaves.count, "leaf index out of the tree")
        guard leaves.count > 1 else { return [] }
        let k = split(leaves.count)
        let middle = leaves.startIndex + k
        if index < k {
            return inclusionProof(index: index, leaves[..<middle]) + [root(leaves[middle...])]
        }
        return inclusionProof(index: index - k, leaves[middle...]) + [root(leaves[..<middle])]
    }

    /// PROOF(m, D[n]): that the tree of the first `oldSize` leaves is a prefix of the tree of all.
    public static func consistencyProof(oldSize: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        precondition(oldSize > 0 && oldSize <= leaves.count, "old size out of the tree")
        return subproof(oldSize, leaves, complete: true)
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<Hash>, complete: Bool) -> [Hash] {
        let n = leaves.count
        if m == n { return complete ? [] : [root(leaves)] }
        let k = split(n)
        let middle = leaves.startIndex + k
        if m <= k {
            return subproof(m, leaves[..<middle], complete: complete) + [root(leaves[middle...])]
        }
        return subproof(m - k, leaves[middle...], complete: false) + [root(leaves[..<middle])]
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
