/// A bounded pool of connections.
///
/// At most `maximumConnections` are open. A task that finds none free waits up to
/// `acquireTimeout`, then gets `poolTimeout`. Connections are checked before they are lent; one
/// that broke (the server restarted) is dropped and a new one is opened, so the pool recovers by
/// itself once the server is back.
public actor PostgresPool {
    public struct Options: Sendable {
        public var maximumConnections: Int
        /// How long `withConnection` waits for a free connection.
        public var acquireTimeout: Duration

        public init(maximumConnections: Int = 8, acquireTimeout: Duration = .seconds(10)) {
            precondition(maximumConnections > 0, "a pool needs at least one connection")
            self.maximumConnections = maximumConnections
            self.acquireTimeout = acquireTimeout
        }
    }

    /// Counts for monitoring.
    public struct Statistics: Sendable {
        public var open: Int
        public var idle: Int
        public var inUse: Int
        public var waiting: Int
    }

    public nonisolated let configuration: PostgresConfiguration
    public nonisolated let options: Options

    private var idle: [PostgresConnection] = []
    /// Open connections plus connections being opened.
    private var open = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Grant, any Error>)] = []
    private var waiterTimeouts: [Int: Task<Void, Never>] = [:]
    private var nextWaiterID = 0
    private var closed = false

    /// What a waiting task is handed: a connection, or leave to open one.
    private enum Grant: Sendable {
        case connection(PostgresConnection)
        case openSlot
    }

    public init(configuration: PostgresConfiguration, options: Options = Options()) {
        self.configuration = configuration
        self.options = options
    }

    public var statistics: Statistics {
        Statistics(open: open, idle: idle.count, inUse: open - idle.count, waiting: waiters.count)
    }

    /// Lends a connection to `body` and takes it back afterwards, whatever happens.
    public nonisolated func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection; see `PostgresConnection.transaction`.
    @discardableResult
    public nonisolated func transaction<T>(
        isolation: IsolationLevel = .readCommitted, readOnly: Bool = false, maxAttempts: Int = 3,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await connection.transaction(isolation: isolation, readOnly: readOnly, maxAttempts: maxAttempts, body)
        }
    }

    /// One statement on a pooled connection.
    @discardableResult
    public nonisolated func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws
        -> PostgresRows
    {
        try await withConnection { connection in try await connection.query(sql, parameters) }
    }

    /// Closes idle connections and refuses new work; lent connections close when returned.
    public func close() async {
        closed = true
        let failing = waiters
        waiters.removeAll()
        for (_, task) in waiterTimeouts { task.cancel() }
        waiterTimeouts.removeAll()
        for waiter in failing { waiter.continuation.resume(throwing: Self.closedError) }
        let connections = idle
        idle.removeAll()
        open -= connections.count
        for connection in connections { await connection.close() }
    }

    // MARK: - Lending

    private func acquire() async throws -> PostgresConnection {
        while true {
            guard !closed else { throw Self.closedError }
            if let connection = idle.popLast() {
                if connection.isIdleAndUsable() { return connection }
                open -= 1
                await connection.close()
                continue
            }
            if open < options.maximumConnections {
                open += 1
                return try await openConnection()
            }
            switch try await wait() {
            case .connection(let connection):
                if connection.isIdleAndUsable() { return connection }
                await connection.close()
                return try await openConnection()  // its slot passes to us
            case .openSlot:
                return try await openConnection()
            }
        }
    }

    /// Opens a connection for a slot already counted in `open`; gives the slot up on failure.
    private func openConnection() async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration)
        } catch {
            open -= 1
            if let waiter = waiters.first, open < options.maximumConnections {
                removeWaiter(waiter.id)
                open += 1
                waiter.continuation.resume(returning: .openSlot)
            }
            throw error
        }
    }

    private func release(_ connection: PostgresConnection) async {
        let usable = connection.isIdleAndUsable()
        if closed || !usable {
            open -= 1
            await connection.close()
            if !closed, let waiter = waiters.first {
                removeWaiter(waiter.id)
                open += 1
                waiter.continuation.resume(returning: .openSlot)
            }
            return
        }
        if let waiter = waiters.first {
            removeWaiter(waiter.id)
            waiter.continuation.resume(returning: .connection(connection))
        } else {
            idle.append(connection)
        }
    }

    private func wait() async throws -> Grant {
        nextWaiterID += 1
        let id = nextWaiterID
        let timeout = options.acquireTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                waiters.append((id, continuation))
                waiterTimeouts[id] = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    await self?.failWaiter(id, with: Self.timeoutError(timeout))
                }
            }
        } onCancel: {
            Task { await self.failWaiter(id, with: CancellationError()) }
        }
    }

    private func failWaiter(_ id: Int, with error: any Error) {
        guard let waiter = waiters.first(where: { $0.id == id }) else { return }
        removeWaiter(id)
        waiter.continuation.resume(throwing: error)
    }

    private func removeWaiter(_ id: Int) {
        waiters.removeAll { $0.id == id }
        waiterTimeouts.removeValue(forKey: id)?.cancel()
    }

    private static let closedError = PostgresError(
        kind: .poolClosed, code: .connectionDoesNotExist, message: "the connection pool is closed")

    private static func timeoutError(_ timeout: Duration) -> PostgresError {
        PostgresError(
            kind: .poolTimeout, code: .connectionException,
            message: "no database connection became free within \(timeout)")
    }
}
