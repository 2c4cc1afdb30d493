public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix
public import ServiceLifecycle

/// The operator's HTTP port: `/healthz` (the process is up), `/readyz` (the database is reachable
/// and the migrations current), `/metrics` (Prometheus text format). Plain HTTP/1.1, GET only,
/// meant for a loopback or management network.
public struct HealthServer: Service {
    public struct Check: Sendable {
        public var ready: Bool
        public var detail: String
        public init(ready: Bool, detail: String) {
            self.ready = ready
            self.detail = detail
        }
    }

    let host: String
    let port: Int
    let readiness: @Sendable () async -> Check
    let metrics: @Sendable () async -> [UInt8]
    let logger: Logger
    let onListening: @Sendable (Int) -> Void
    /// Connections at once; more are closed as soon as they are accepted.
    let maximumConnections: Int
    /// Each request must arrive whole within this time of the connection's start (or of the
    /// previous response): a client that sends half a request and waits is closed.
    let headerTimeout: TimeAmount
    let open = OpenConnections()

    public init(
        host: String, port: Int, logger: Logger, readiness: @escaping @Sendable () async -> Check,
        metrics: @escaping @Sendable () async -> [UInt8], maximumConnections: Int = 64,
        headerTimeout: TimeAmount = .seconds(5), onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.maximumConnections = maximumConnections
        self.headerTimeout = headerTimeout
        self.host = host
        self.port = port
        self.logger = logger
        self.readiness = readiness
        self.metrics = metrics
        self.onListening = onListening
    }

    public func run() async throws {
        let (open, limit, timeout) = (self.open, maximumConnections, headerTimeout)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RequestDeadlineHandler(timeout: timeout))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        onListening(server.channel.localAddress?.port ?? port)
        logger.info(
            "health and metrics listening",
            metadata: ["address": "\(host):\(server.channel.localAddress?.port ?? port)"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        // Over the cap: closed at once, unanswered (they arrive here in accept order).
                        guard open.enter(limit: limit) else {
                            group.addTask { try? await connection.executeThenClose { _, _ in } }
                            continue
                        }
                        group.addTask {
                            await serve(connection)
                            open.leave()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let h): head = h
                    case .body: break
                    case .end:
                        guard let request = head else { continue }
                        let (status, type, body) = await respond(request)
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: type)
                        headers.add(name: "Content-Length", value: String(body.count))
                        headers.add(name: "Connection", value: request.isKeepAlive ? "keep-alive" : "close")
                        try await outbound.write(
                            .head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                        try await outbound.write(.end(nil))
                        if !request.isKeepAlive { return }
                        head = nil
                    }
                }
            }
        } catch {
            logger.debug("health connection ended", metadata: ["error": "\(error)"])
        }
    }

    func respond(_ request: HTTPRequestHead) async -> (HTTPResponseStatus, String, [UInt8]) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        guard request.method == .GET || request.method == .HEAD else {
            return (.methodNotAllowed, "text/plain; charset=utf-8", Array("GET only\n".utf8))
        }
        switch path {
        case "/healthz":
            return (.ok, "text/plain; charset=utf-8", Array("ok\n".utf8))
        case "/readyz":
            let check = await readiness()
            return (
                check.ready ? .ok : .serviceUnavailable, "text/plain; charset=utf-8", Array((check.detail + "\n").utf8)
            )
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", await metrics())
        default:
            return (.notFound, "text/plain; charset=utf-8", Array("not found: try /healthz, /readyz, /metrics\n".utf8))
        }
    }
}
