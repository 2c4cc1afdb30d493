import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOPosix
import PostgresLibPQ

/// A witness the checkpointer asks to cosign: where it listens and its verifier key.
public struct WitnessEndpoint: Sendable, Equatable {
    public var url: String
    public var key: Cosignature.Verifier

    public init(url: String, key: Cosignature.Verifier) {
        self.url = url
        self.key = key
    }

    /// `URL+KEY`: the address, then after the first `+` the witness's verifier key.
    public init(parsing text: String) throws {
        guard let plus = text.firstIndex(of: "+") else {
            throw SignedNote.NoteError("a witness is URL+KEY (its address, then its verifier key)")
        }
        let url = String(text[..<plus])
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw SignedNote.NoteError("a witness's address is an http(s) URL, not \(url)")
        }
        self.init(url: url, key: try Cosignature.Verifier(encoded: String(text[text.index(after: plus)...])))
    }
}

/// How many of the configured witnesses cosigned a checkpoint, by name.
public struct WitnessReport: Sendable, Equatable {
    public var cosigned: [String]
    public var missing: [String]
    public var quorum: Int

    public var witnessed: Bool { cosigned.count >= quorum }

    /// Cosignatures that make a checkpoint witnessed when none is configured: 3, or all of them
    /// when there are fewer witnesses.
    public static func defaultQuorum(witnesses: Int) -> Int { min(3, witnesses) }

    /// The cosignatures on `note` by `witnesses` that verify (`quorum` nil: the default).
    public init(note: String, witnesses: [WitnessEndpoint], quorum: Int? = nil) {
        let quorum = quorum ?? Self.defaultQuorum(witnesses: witnesses.count)
        let signed = witnesses.filter { $0.key.cosignedAt(note) != nil }.map(\.key.name)
        cosigned = signed
        missing = witnesses.map(\.key.name).filter { !signed.contains($0) }
        self.quorum = quorum
    }

    public var summary: String {
        let count = "\(cosigned.count) of \(cosigned.count + missing.count) witnesses"
        return (witnessed ? "witnessed: \(count)" : "UNDER-WITNESSED: \(count), fewer than \(quorum)")
            + (cosigned.isEmpty ? "" : " (\(cosigned.joined(separator: ", ")))")
            + (missing.isEmpty ? "" : "; no cosignature from \(missing.joined(separator: ", "))")
    }
}

extension AuditCheckpointer {
    /// The client the checkpointer asks witnesses with. Unlike `HTTPClient.shared`, it does not
    /// retry a refused connection (for up to 10 s, or to a dead kept-alive one's deadline): a
    /// witness that is down adds no cosignature at once (the next checkpoint asks again), and only
    /// a slow one is waited for, up to `witnessTimeout`.
    /// It lives as long as the process, so it is never shut down.
    static let witnessHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()

    /// Asks every witness, in parallel, to cosign `checkpoint`, each with a consistency proof from
    /// the size it last cosigned (first assumed to be `previousSize`; a 409 names the witness's
    /// size and the request is made once more from there). Returns the cosignature lines that
    /// verify; a witness that is down or refuses adds none and delays nothing past `witnessTimeout`.
    public func cosignatures(for checkpoint: Checkpoint, previousSize: Int) async -> [String] {
        let timeout = TimeAmount(witnessTimeout)
        let store = MerkleStore(pool: pool)
        return await withTaskGroup(of: String?.self) { group in
            for witness in witnesses {
                group.addTask {
                    var old = previousSize
                    for _ in 0..<2 {
                        guard old <= checkpoint.size else { return nil }
                        let proof =
                            old > 0 && old < checkpoint.size
                            ? (try? await store.consistencyProof(oldSize: old, size: checkpoint.size)) ?? [] : []
                        var request = HTTPClientRequest(url: witness.url.hasSuffix("/") ? witness.url + "add-checkpoint" : witness.url + "/add-checkpoint")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
                        request.body = .bytes(
                            ByteBuffer(string: Witness.requestBody(old: old, proof: proof, note: checkpoint.note)))
                        guard let response = try? await Self.witnessHTTP.execute(request, timeout: timeout),
                            let body = try? await response.body.collect(upTo: 64 * 1024)
                        else { return nil }
                        let text = String(buffer: body)
                        switch response.status.code {
                        case 200:
                            let line = text.split(separator: "\n").first { $0.hasPrefix(SignedNote.dash) }.map(String.init)
                            guard let line, witness.key.cosignedAt(Cosignature.adding([line], to: checkpoint.note)) != nil
                            else { return nil }
                            return line
                        case 409:
                            guard let known = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), known != old else {
                                return nil
                            }
                            old = known
                        default:
                            return nil
                        }
                    }
                    return nil
                }
            }
            var lines: [String] = []
            for await line in group { if let line { lines.append(line) } }
            return lines.sorted()
        }
    }
}
