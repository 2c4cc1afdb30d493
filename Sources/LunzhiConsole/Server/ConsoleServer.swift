public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
public import ServiceLifecycle

/// The console's TCP server: a handler per connection answering on its event loop, and a task
/// per connection for requests that need the database (ConsoleConnection.swift); line framing by
/// NIO; limits on connections, idle time, unread replies and line length. A `Service`, so a `ServiceGroup` shuts it down
/// gracefully on SIGTERM.
public struct ConsoleServer: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var maximumConnections: Int
        public var idleTimeout: TimeAmount
        /// How long a client may leave replies unread (the server's writes blocked) before it is closed.
        public var writeTimeout: TimeAmount
        public var maximumLineLength: Int
        /// Also listen on this Unix socket (mode 0660: its file permissions are its access control).
        public var unixSocketPath: String?
        /// TLS on the TCP listener (the Unix socket stays plain: it never leaves the machine).
        public var tls: ConsoleTLS?
        /// A connection that has not signed in within this time is closed (421 AUTH_TIMEOUT).
        public var authTimeout: TimeAmount
        /// Connections from one IP address at most.
        public var maximumPerAddress: Int
        /// How long in-flight requests may take to finish at shutdown before connections are closed.
        public var shutdownGrace: TimeAmount = .seconds(10)
        /// Connections only signed-in sessions may use: unauthenticated ones get the rest.
        public var reservedForSignedIn: Int { maximumConnections / 4 }

        public init(
            host: String = "127.0.0.1", port: Int = 7707, maximumConnections: Int = 256,
            idleTimeout: TimeAmount = .seconds(300), writeTimeout: TimeAmount = .seconds(30),
            maximumLineLength: Int = 16 * 1024, unixSocketPath: String? = nil, tls: ConsoleTLS? = nil,
            authTimeout: TimeAmount = .seconds(10), maximumPerAddress: Int = 64
        ) {
            self.authTimeout = authTimeout
            self.maximumPerAddress = maximumPerAddress
            self.writeTimeout = writeTimeout
            self.tls = tls
            self.host = host
            self.port = port
            self.maximumConnections = maximumConnections
            self.idleTimeout = idleTimeout
            self.maximumLineLength = maximumLineLength
            self.unixSocketPath = unixSocketPath
        }
    }

    let configuration: Configuration
    let environment: ConsoleEnvironment
    let logger: Logger
    let onListening: @Sendable (SocketAddress) -> Void

    public init(
        configuration: Configuration, environment: ConsoleEnvironment, logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.environment = environment
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let configuration = self.configuration
        let environment = self.environment
        let logger = self.logger
        let dispatcher = ConsoleDispatcher(environment: environment, logger: logger)
        let initialize: @Sendable (any Channel) -> EventLoopFuture<ConsoleConnection> = { channel in
            channel.eventLoop.makeCompletedFuture {
                let sync = channel.pipeline.syncOperations
                if let tls = configuration.tls, channel.localAddress?.protocol != .unix {
                    try sync.addHandler(NIOSSLServerHandler(context: tls.context))
                }
                try sync.addHandler(StalledReaderHandler(timeout: configuration.writeTimeout))
                // One line may be at most maximumLineLength bytes (plus its CRLF).
                try sync.addHandler(
                    ByteToMessageHandler(LineBatchDecoder(), maximumBufferSize: configuration.maximumLineLength + 2))
                // After the decoder, so only whole lines count as activity: a client trickling one
                // byte at a time is as idle as a silent one.
                try sync.addHandler(IdleStateHandler(readTimeout: configuration.idleTimeout))
                try sync.addHandler(IdleTimeoutHandler())
                let (requests, continuation) = AsyncStream.makeStream(of: AwaitedRequests.self)
                try sync.addHandler(
                    ConsoleConnectionHandler(
                        configuration: configuration, environment: environment, dispatcher: dispatcher,
                        logger: logger, requests: continuation))
                return ConsoleConnection(channel: channel, requests: requests)
            }
        }
        // A deep accept queue (the kernel caps it at net.core.somaxconn): a burst of connections
        // waits to be accepted, and answered 421 if over the limit, instead of overflowing the
        // queue, where the kernel drops or resets them (found with 1,000 connections at once).
        // NIO stops accepting while `acceptAhead` accepted connections wait for the task that
        // takes them (NIO's default is 10). Each is greeted, or refused with 421, by its handler on
        // its event loop as soon as it is accepted, so a burst is answered at the event loops'
        // pace, not at the pace of that task, which a busy machine can hold back for seconds.
        let acceptAhead = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(
            lowWatermark: 64, highWatermark: 1024)
        var servers = [
            try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 4096)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                // A client that shuts down its side after its last request still gets the replies.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(
                    host: configuration.host, port: configuration.port, serverBackPressureStrategy: acceptAhead,
                    childChannelInitializer: initialize)
        ]
        logger.info(
            "console listening", metadata: ["address": "\(servers[0].channel.localAddress.map { "\($0)" } ?? "?")"])
        if let path = configuration.unixSocketPath {
            // Bound under a private name, given its mode, then renamed into place: the socket never
            // appears at `path` with the umask's mode, and a running server's socket is replaced
            // in one step.
            let staging = "\(path).\(getpid()).binding"
            servers.append(
                try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(.backlog, value: 4096)
                    .childChannelOption(.allowRemoteHalfClosure, value: true)
                    .bind(
                        unixDomainSocketPath: staging, cleanupExistingSocketFile: true,
                        serverBackPressureStrategy: acceptAhead, childChannelInitializer: initialize
                    ))
            guard chmod(staging, 0o660) == 0, rename(staging, path) == 0 else {
                let failure = errno
                unlink(staging)
                for server in servers { try? await server.channel.close() }
                throw ConsoleServerError("cannot put the console socket at \(path): errno \(failure)")
            }
            logger.info("console listening", metadata: ["address": "unix:\(path)"])
        }
        if let address = servers[0].channel.localAddress { onListening(address) }
        let listeners = servers
        let open = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for server in listeners {
                    group.addTask {
                        try await withThrowingDiscardingTaskGroup { connections in
                            try await server.executeThenClose { inbound in
                                for try await connection in inbound {
                                    let key = ObjectIdentifier(connection.channel)
                                    open.withLockedValue { $0[key] = connection.channel }
                                    connections.addTask {
                                        await serve(connection, dispatcher: dispatcher)
                                        _ = open.withLockedValue { $0.removeValue(forKey: key) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            // Quiescing: no new connections; each open one finishes the request it is running,
            // gets its reply and 421 SHUTTING_DOWN, then closes. What is still open after the
            // grace period is closed as it is.
            logger.info("console shutting down")
            for server in listeners { server.channel.close(promise: nil) }
            for channel in open.withLockedValue({ Array($0.values) }) {
                channel.pipeline.fireUserInboundEventTriggered(ConsoleShutdownEvent())
                channel.eventLoop.scheduleTask(in: configuration.shutdownGrace) { channel.close(promise: nil) }
            }
        }
    }

    /// Runs the requests of one connection that need the database, one batch at a time, in
    /// order; the connection's handler answers everything else on its event loop. Ends when the
    /// connection closes (after finishing a batch already begun).
    ///
    /// The task prefers the connection's event loop as its executor: when a query's result comes
    /// back from the database connection's thread, the task wakes on that loop, where the
    /// connection's handler takes the replies without another thread switch.
    private func serve(_ connection: ConsoleConnection, dispatcher: ConsoleDispatcher) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(connection.channel.eventLoop)) {
            for await batch in connection.requests {
                batch.resume(await batch.run(dispatcher, maximumLineLength: configuration.maximumLineLength))
            }
        }
    }
}
