import ArgumentParser
import Foundation
import Hummingbird
import Logging
import LunzhiAudit
import NIOCore
import ServiceLifecycle

/// `lunzhi witness …`: a member's own witness of the audit log (C2SP tlog-witness): it cosigns a
/// checkpoint only when it is consistent with the last one it cosigned (docs/operations.md,
/// "Running a witness").
struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness", abstract: "Run a witness that cosigns the audit log's consistent checkpoints.",
        subcommands: [Keygen.self, Serve.self])

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a witness key pair (Ed25519, C2SP tlog-cosignature cosignature/v1).",
            discussion: "Writes <out>/witness.key (mode 0600) and <out>/witness.pub; give the .pub to the log's operator.")

        @Option(help: "The witness's name, a schema-less URL such as witness.qh.example.cn.") var name: String
        @Option(help: "The directory to write the keys into.") var out: String

        func run() throws {
            let (signer, verifier) = try Cosignature.Signer.generate(name: name)
            try writeKeyPair(signer: signer, verifier: verifier, into: out, named: "witness", what: "a witness key")
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve POST /add-checkpoint (C2SP tlog-witness) for one log.",
            discussion:
                "Answers 200 with a cosignature line, 409 (text/x.tlog.size) with the size it last cosigned, 403 for a checkpoint not signed by the log's key, 422 for a proof that does not verify. The state file is written and fsynced before it answers; a corrupt one stops it.")

        @Option(help: "Where to listen, HOST:PORT.") var listen: String = "127.0.0.1:7790"
        @Option(help: "The witness key file (from `lunzhi witness keygen`).") var key: String
        @Option(name: .customLong("log-key"), help: "The log's checkpoint verifier key (audit.pub).") var logKey: String
        @Option(help: "The state file (the size and root last cosigned).") var state: String
        @Option(help: "Where refused requests are kept as evidence.") var evidence: String?
        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = try logging.bootstrap(label: "lunzhi.witness")
            let (host, port) = try ServeCommand.parseListen(listen)
            let witness = try Witness(
                signer: try Cosignature.Signer(encoded: try String(contentsOfFile: key, encoding: .utf8)),
                logKey: try SignedNote.Verifier(encoded: try String(contentsOfFile: logKey, encoding: .utf8)),
                statePath: state, evidenceDirectory: evidence)
            let router = Router()
            router.post("/add-checkpoint") { request, context -> Response in
                var request = request
                let body = try await request.collectBody(upTo: 1 << 20)
                let answer = witness.add(String(buffer: body))
                switch answer {
                case .cosigned(let line):
                    logger.notice("cosigned", metadata: ["size": "\(witness.known.size)"])
                    return Self.text(.ok, line + "\n", type: "text/x.tlog.cosignature")
                case .conflict(let size):
                    logger.warning("refused: not from the size it knows", metadata: ["known": "\(size)"])
                    return Self.text(.conflict, "\(size)\n", type: "text/x.tlog.size")
                case .refused(let status, let reason):
                    logger.warning("refused", metadata: ["status": "\(status)", "reason": "\(reason)"])
                    return Self.text(.init(code: status), reason + "\n", type: "text/plain; charset=utf-8")
                }
            }
            let app = Application(
                router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                onServerRunning: { channel in
                    logger.notice(
                        "witness listening",
                        metadata: ["address": "\(channel.localAddress?.description ?? "")", "name": "\(witness.signer.name)",
                                   "size": "\(witness.known.size)"])
                }, logger: logger)
            let group = ServiceGroup(
                configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }

        static func text(_ status: HTTPResponse.Status, _ body: String, type: String) -> Response {
            var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: body)))
            response.headers[.contentType] = type
            return response
        }
    }
}
