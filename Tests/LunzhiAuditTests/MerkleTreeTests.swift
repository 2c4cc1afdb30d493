import Foundation
import LunzhiAudit
import LunzhiCore
import LunzhiTestSupport
import Testing

/// RFC 9162 Merkle tree hashing and proofs (the groundwork of the witnessed log).
@Suite struct MerkleTreeTests {
    /// The eight inputs of Certificate Transparency's reference tests (RFC 6962 implementations
    /// in C++ and Go use them) and the tree heads they publish for sizes 1…8.
    static let leaves: [[UInt8]] = [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57], Array(0x60...0x6f),
    ]
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test func thePublishedTreeHeads() {
        let hashes = Self.leaves.map { MerkleTree.leafHash($0) }
        for size in 1...8 {
            #expect(Hex.encode(MerkleTree.root(Array(hashes.prefix(size)))) == Self.roots[size - 1], "size \(size)")
        }
        #expect(
            Hex.encode(MerkleTree.root([]))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// Every leaf of every tree up to 40 leaves proves its inclusion, and every smaller tree its
    /// consistency; a proof is at most ⌈log2 n⌉ hashes; any changed hash, index or size fails.
    @Test func proofsVerifyAndTamperingFails() {
        let all = (0..<40).map { MerkleTree.leafHash(Array("leaf \($0)".utf8)) }
        for size in 1...40 {
            let tree = Array(all.prefix(size))
            let root = MerkleTree.root(tree)
            let bound = Int(ceil(log2(Double(size))))
            for index in 0..<size {
                let proof = MerkleTree.inclusionProof(index: index, tree[...])
                #expect(proof.count <= bound)
                #expect(MerkleTree.verifyInclusion(leaf: tree[index], index: index, size: size, proof: proof, root: root))
                #expect(
                    !MerkleTree.verifyInclusion(
                        leaf: tree[index], index: (index + 1) % max(size, 2), size: size, proof: proof, root: root)
                        || size == 1)
                if var bad = proof.first {
                    bad[0] ^= 1
                    #expect(
                        !MerkleTree.verifyInclusion(
                            leaf: tree[index], index: index, size: size, proof: [bad] + proof.dropFirst(), root: root))
                }
            }
            for old in 1...size {
                let oldRoot = MerkleTree.root(Array(tree.prefix(old)))
                let proof = MerkleTree.consistencyProof(oldSize: old, tree[...])
                #expect(proof.count <= bound + 1)
                #expect(
                    MerkleTree.verifyConsistency(
                        oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: root, proof: proof), "\(old)→\(size)")
                if old < size {
                    var forged = oldRoot
                    forged[31] ^= 1
                    #expect(
                        !MerkleTree.verifyConsistency(
                            oldSize: old, newSize: size, oldRoot: forged, newRoot: root, proof: proof))
                }
            }
        }
    }

    /// 1,000 random trees (1–100 leaves, and five of one to two thousand) with a random leaf's
    /// inclusion proof and a random prefix's consistency proof, checked by docs/audit-verify.py's
    /// own RFC 9162 code (standard-library Python, written apart from this module).
    @Test func theIndependentPythonVerifierAgrees() async throws {
        var generator = SystemRandomNumberGenerator()
        var lines: [String] = []
        for number in 0..<1000 {
            let size = number % 200 == 0 ? Int.random(in: 1000...2000, using: &generator) : Int.random(
                in: 1...100, using: &generator)
            let data = (0..<size).map { _ in
                (0..<Int.random(in: 0...24, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            let tree = data.map { MerkleTree.leafHash($0) }
            let index = Int.random(in: 0..<size, using: &generator)
            let old = Int.random(in: 1...size, using: &generator)
            let hex: ([[UInt8]]) -> String = { "[" + $0.map { "\"\(Hex.encode($0))\"" }.joined(separator: ",") + "]" }
            lines.append(
                "{\"leaves\":\(hex(data)),\"root\":\"\(Hex.encode(MerkleTree.root(tree)))\",\"index\":\(index),"
                    + "\"path\":\(hex(MerkleTree.inclusionProof(index: index, tree[...]))),\"old\":\(old),"
                    + "\"old_root\":\"\(Hex.encode(MerkleTree.root(Array(tree.prefix(old)))))\","
                    + "\"consistency\":\(hex(MerkleTree.consistencyProof(oldSize: old, tree[...])))}")
        }
        let cases = temporaryPath("merkle-cases") + ".jsonl"
        defer { try? FileManager.default.removeItem(atPath: cases) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: cases, atomically: true, encoding: .utf8)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/audit-verify.py").standardized.path
        let checked = try await BackgroundProcess.run("/bin/sh", ["-c", "python3 \"$0\" merkle-check < \"$1\"", script, cases])
        #expect(checked.status == 0 && checked.output.hasPrefix("ok 1000 cases"), "\(checked.output)")
    }
}
