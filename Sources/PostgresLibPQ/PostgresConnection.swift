import CLibPQ
import Synchronization
import Foundation

/// One libpq connection.
///
/// Callers may use the connection from any task; calls are served one at a time in arrival order
/// (`gate`). A statement (`query`) is sent with libpq's non-blocking calls by the calling task
/// itself, and the wait for its reply is handed to the process's `SocketPoller`: no thread of this
/// connection is woken, and the task resumes on its own executor. What libpq only offers as a
/// blocking call (connecting, scripts, closing), and every statement on a TLS connection (OpenSSL
/// may hold decrypted bytes the socket no longer shows as readable), runs on the connection's own
/// thread (`ConnectionThread`). Use a `PostgresPool` to share connections among tasks.
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked: `handle`, `isBroken`, `prepared` and `preparedCount` are only touched by the call
    // that holds `gate` (on its task, or inside the `thread.run` closures it awaits), or in
    // `deinit` when no other reference exists; the gate's lock orders one call's writes before
    // the next call's reads. `cancel` is thread-safe by libpq's contract (PQcancel may be called
    // from any thread).
    private let thread: ConnectionThread
    private let gate = CallGate()
    private var handle: OpaquePointer?
    private var isBroken = false
    private let cancel: CancelHandle
    /// True when the connection is non-blocking (not on TLS ones): its statements' replies are
    /// awaited with the poller; otherwise on `thread`.
    private let waitsOnPoller: Bool
    /// Statements prepared on this connection (`PQprepare`), by SQL text and parameter types: the
    /// server parses and plans each once per connection instead of on every call. The SQL comes
    /// from the program, never from input, so the set is small; past `maximumPrepared` statements
    /// run unprepared.
    private var prepared: [PreparedKey: String] = [:]
    private var preparedCount = 0
    private static let maximumPrepared = 256
    /// A number for logs, unique in this process.
    public let id: Int
    /// The server process serving this connection (`pg_backend_pid()`).
    public let backendPID: Int
    /// The server version as libpq reports it, e.g. 150018.
    public let serverVersion: Int

    private init(thread: ConnectionThread, handle: OpaquePointer, id: Int) {
        self.thread = thread
        self.handle = handle
        self.id = id
        self.backendPID = Int(PQbackendPID(handle))
        self.serverVersion = Int(PQserverVersion(handle))
        self.cancel = CancelHandle(PQgetCancel(handle))
        // openBlocking made it non-blocking unless it uses TLS.
        self.waitsOnPoller = PQisnonblocking(handle) == 1
    }

    deinit {
        if let handle {
            let box = UnsafeHandle(pointer: handle)
            thread.enqueue { PQfinish(box.pointer) }
        }
        thread.stop()
    }

    /// Opens a connection. With no connection string, libpq's defaults and `PG*` variables apply.
    public static func connect(_ configuration: PostgresConfiguration) async throws -> PostgresConnection {
        let id = ConnectionCounter.next()
        let thread = ConnectionThread(name: "lunzhi-pg-\(id)")
        do {
            let box = try await thread.run { try UnsafeHandle(pointer: openBlocking(configuration)) }
            return PostgresConnection(thread: thread, handle: box.pointer, id: id)
        } catch {
            thread.stop()
            throw error
        }
    }

    /// Opens a connection, runs `body` with it, and closes it whatever happens.
    public static func with<T>(_ configuration: PostgresConfiguration, _ body: (PostgresConnection) async throws -> T)
        async throws -> T
    {
        let connection = try await connect(configuration)
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs one statement with bound parameters (`$1`, `$2`, …) and returns its whole result.
    ///
    /// Parameters are never spliced into the SQL text. A cancelled task cancels the statement on
    /// the server.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresRows {
        let bound = parameters.map(\.postgresParameter)
        return try await inCall { try await self.execute(sql, bound) }
    }

    /// Runs one statement like `query`, asking for PostgreSQL's binary format, and keeps libpq's
    /// own result instead of copying it into Swift values: for bulk reads that hash raw bytes (the
    /// audit verifier), where a `String` per cell would cost more than the hashing. In binary
    /// format a `text` value is its UTF-8 bytes and a `bytea` value its bytes.
    public func queryBinary(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws
        -> PostgresBinaryResult
    {
        let bound = parameters.map(\.postgresParameter)
        return try await inCall {
            let result = try await self.send(sql, bound, resultFormat: 1)
            return try self.checked(result, sql: sql) { PostgresBinaryResult(owning: $0) }
        }
    }

    /// Runs a script of several statements without parameters (migrations, fixed setup SQL).
    /// Never pass text that came from a user: there is no binding here.
    public func runScript(_ sql: String) async throws {
        try await onThread { connection in
            let result = PQexec(try connection.liveHandle(), sql)
            _ = try connection.consume(result, sql: sql)
        }
    }

    /// Quotes an identifier (a channel or table name) with `PQescapeIdentifier`, which only reads
    /// the connection's encoding and never waits: no trip to the connection's thread.
    public func escapeIdentifier(_ identifier: String) async throws -> String {
        try await inCall { try escapedIdentifier(identifier) }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    ///
    /// Serialization failures and deadlocks roll back and run `body` again, up to `maxAttempts`
    /// times in all, so `body` must be safe to repeat (it should only touch the database).
    @discardableResult
    public func transaction<T>(
        isolation: IsolationLevel = .readCommitted, readOnly: Bool = false, maxAttempts: Int = 3,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            try await query(isolation.beginStatement(readOnly: readOnly))
            do {
                let value = try await body(self)
                let commit: PostgresRows
                do {
                    commit = try await query("COMMIT")
                } catch let error as PostgresError where error.leavesCommitUnknown {
                    throw PostgresError(
                        kind: .commitOutcomeUnknown, code: .transactionResolutionUnknown,
                        message:
                            "the connection was lost while committing; the transaction may or may not have been committed (\(error.message))"
                    )
                }
                if commit.commandTag == "ROLLBACK" {
                    throw PostgresError(
                        kind: .server, code: .inFailedSQLTransaction,
                        message: "the transaction had failed and was rolled back instead of committed")
                }
                return value
            } catch {
                await rollbackQuietly()
                if let error = error as? PostgresError,
                    error.code == .serializationFailure || error.code == .deadlockDetected, attempt < maxAttempts
                {
                    attempt += 1
                    let jitter = UInt64.random(in: 0...UInt64(5_000_000 * attempt))
                    try await Task.sleep(nanoseconds: UInt64(2_000_000 * attempt) + jitter)
                    continue
                }
                throw error
            }
        }
    }

    /// Closes the connection. Further calls throw `connectionClosed`.
    public func close() async {
        await housekeeping { connection in
            if let handle = connection.handle {
                PQfinish(handle)
                connection.handle = nil
            }
        }
        thread.stop()
    }

    /// False when the connection is closed, broken, or the server has hung up while it was idle.
    /// Used by the pool before lending a connection, so a server restart costs no failed request.
    public func isUsable() async -> Bool {
        await housekeeping { $0.checkIdleHealth() } ?? false
    }

    /// `isUsable` without the trip to the connection's thread (two thread switches per use of a
    /// pooled connection). Only for a connection with no call in flight and none to come while
    /// this runs, such as the pool's own idle or just-returned connections: nothing holds the
    /// gate, and the last call's writes are visible (it left the gate, a lock, after them).
    func isIdleAndUsable() -> Bool {
        checkIdleHealth()
    }

    // MARK: - On the connection's thread

    /// Runs `body` as this connection's only call (waiting for the calls before it), cancellable:
    /// a task cancelled before its turn sends nothing; cancelled during it, the server is asked to
    /// cancel the statement.
    private func inCall<T>(_ body: () async throws -> T) async throws -> T {
        let call = CallCancellation(cancel)
        await gate.enter()
        defer { gate.leave() }
        return try await withTaskCancellationHandler {
            guard call.begin() else {
                throw PostgresError(kind: .cancelled, code: .queryCanceled, message: "cancelled before it was sent")
            }
            defer { call.end() }
            return try await body()
        } onCancel: {
            call.cancelNow()
        }
    }

    /// Runs a blocking libpq call on the connection's thread, as this connection's only call, and
    /// cannot be cancelled: housekeeping that must happen whatever the task's state (ROLLBACK, the
    /// health check, closing). Nil once the thread has stopped.
    @discardableResult
    private func housekeeping<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) -> T) async -> T? {
        await gate.enter()
        defer { gate.leave() }
        return try? await thread.run { [self] in body(self) }
    }

    /// Runs a blocking libpq call on the connection's thread, as this connection's only call.
    private func onThread<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await inCall { try await thread.run { [self] in try body(self) } }
    }

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(kind: .connectionClosed, code: .connectionDoesNotExist, message: "connection is closed")
        }
        if isBroken {
            throw PostgresError(
                kind: .connection, code: .connectionFailure, message: "connection to the server was lost")
        }
        return handle
    }

    private func escapedIdentifier(_ identifier: String) throws -> String {
        try Self.escapedIdentifier(liveHandle(), identifier)
    }

    /// `identifier` quoted by `PQescapeIdentifier` (which only reads the connection's encoding);
    /// shared with the listener's LISTEN.
    static func escapedIdentifier(_ handle: OpaquePointer, _ identifier: String) throws(PostgresError) -> String {
        guard let escaped = PQescapeIdentifier(handle, identifier, identifier.utf8.count) else {
            throw PostgresError(
                kind: .invalidParameter, code: .invalidTextRepresentation,
                message: String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines)
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    private func execute(_ sql: String, _ parameters: [PostgresParameter]) async throws -> PostgresRows {
        try consume(try await send(sql, parameters, resultFormat: 0), sql: sql)
    }

    /// Sends a statement (prepared once per connection) and returns its result, in text
    /// (`resultFormat` 0) or binary (1) format.
    private func send(_ sql: String, _ parameters: [PostgresParameter], resultFormat: Int32) async throws
        -> OpaquePointer?
    {
        let handle = try liveHandle()
        for (index, parameter) in parameters.enumerated()
        where parameter.format == .text && parameter.bytes?.contains(0) == true {
            throw PostgresError(
                kind: .invalidParameter, code: .characterNotInRepertoire,
                message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold",
                query: sql)
        }
        let bound = BoundParameters(parameters)
        let statement = await preparedName(handle, sql, bound.types)
        let result = try await run(handle) { handle in
            if let statement {
                PQsendQueryPrepared(
                    handle, statement, bound.count, bound.values, bound.lengths, bound.formats, resultFormat)
            } else {
                PQsendQueryParams(
                    handle, sql, bound.count, bound.types, bound.values, bound.lengths, bound.formats, resultFormat)
            }
        }
        if let result, statement != nil, PQresultStatus(result) == PGRES_FATAL_ERROR,
            Self.serverError(result, query: sql).code == .featureNotSupported
        {
            // "cached plan must not change result type": the table changed under a prepared
            // `SELECT *`. Prepare it again next time.
            prepared[PreparedKey(sql: sql, types: bound.types)] = nil
        }
        return result
    }

    /// The name of `sql` prepared on this connection, preparing it first if needed; nil to run it
    /// unprepared (too many prepared, or the prepare failed: running it then reports why).
    private func preparedName(_ handle: OpaquePointer, _ sql: String, _ types: [Oid]) async -> String? {
        let key = PreparedKey(sql: sql, types: types)
        if let name = prepared[key] { return name }
        guard prepared.count < Self.maximumPrepared else { return nil }
        preparedCount += 1
        let name = "lunzhi_\(preparedCount)"
        guard let result = try? await run(handle, { PQsendPrepare($0, name, sql, Int32(types.count), types) }) else {
            return nil
        }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else { return nil }
        prepared[key] = name
        return name
    }

    /// Sends one command with `send` (a `PQsend…` call) and returns its result as `PQexec` would:
    /// the last one, or the first error; nil when the connection failed (then `consume` reports
    /// libpq's message).
    private func run(_ handle: OpaquePointer, _ send: @escaping @Sendable (OpaquePointer) -> Int32) async throws
        -> OpaquePointer?
    {
        let box = UnsafeHandle(pointer: handle)
        guard waitsOnPoller else {
            return try await thread.run {
                send(box.pointer) == 1 ? Self.collectBlocking(box.pointer).map(UnsafeHandle.init) : nil
            }?.pointer
        }
        guard send(handle) == 1 else { return nil }
        return await collect(handle)
    }

    /// Flushes the command and collects its results, waiting for the socket with the poller; the
    /// calls to libpq happen on the calling task and never block (the connection is non-blocking).
    private func collect(_ handle: OpaquePointer) async -> OpaquePointer? {
        let socket = PQsocket(handle)
        let token = UInt64(id)
        while true {
            let flushed = PQflush(handle)
            if flushed == 0 { break }
            guard flushed > 0 else {
                isBroken = true
                return nil
            }
            // The server may be waiting for us to read before it reads more (libpq's advice).
            await waitForSocket(socket, token: token, writable: true)
            guard PQconsumeInput(handle) != 0 else {
                isBroken = true
                return nil
            }
        }
        var kept: OpaquePointer?
        while true {
            while PQisBusy(handle) != 0 {
                // On a lost connection PQgetResult returns its error at once, without waiting.
                if PQstatus(handle) == CONNECTION_BAD { break }
                await waitForSocket(socket, token: token, writable: false)
                if PQconsumeInput(handle) == 0 && PQstatus(handle) != CONNECTION_BAD {
                    isBroken = true
                    if let kept { PQclear(kept) }
                    return nil
                }
            }
            guard let result = PQgetResult(handle) else { return kept }
            kept = Self.keep(kept, or: result)
        }
    }

    /// Waits with the poller; should it be unable to watch the socket (epoll refused it: out of
    /// memory, or `max_user_watches`), waits with `poll` on the connection's thread instead of
    /// spinning. A socket libpq has closed returns at once either way.
    private func waitForSocket(_ socket: Int32, token: UInt64, writable: Bool) async {
        if await SocketPoller.shared.wait(socket: socket, token: token, writable: writable) { return }
        guard socket >= 0 else { return }
        _ = try? await thread.run {
            var descriptor = pollfd(
                fd: socket, events: Int16(POLLIN) | (writable ? Int16(POLLOUT) : 0), revents: 0)
            _ = poll(&descriptor, 1, -1)
        }
    }

    /// `PQexec`'s collection of results, blocking: for TLS connections, on the connection's thread.
    private static func collectBlocking(_ handle: OpaquePointer) -> OpaquePointer? {
        var kept: OpaquePointer?
        while let result = PQgetResult(handle) { kept = keep(kept, or: result) }
        return kept
    }

    /// Of two results of one command, `PQexec` keeps the first error, else the last result.
    private static func keep(_ kept: OpaquePointer?, or next: OpaquePointer) -> OpaquePointer {
        guard let kept else { return next }
        if PQresultStatus(kept) == PGRES_FATAL_ERROR {
            PQclear(next)
            return kept
        }
        PQclear(kept)
        return next
    }

    /// Copies a result into Swift values and frees it; turns failures into `PostgresError`.
    private func consume(_ result: OpaquePointer?, sql: String) throws -> PostgresRows {
        try checked(result, sql: sql) { result in
            defer { PQclear(result) }
            return Self.copy(result)
        }
    }

    /// Hands a successful result to `take` (which then owns it); frees a failed one and turns it
    /// into `PostgresError`.
    private func checked<T>(_ result: OpaquePointer?, sql: String, _ take: (OpaquePointer) -> T) throws -> T {
        guard let handle else {
            if let result { PQclear(result) }
            throw PostgresError(kind: .connectionClosed, code: .connectionDoesNotExist, message: "connection is closed")
        }
        guard let result else { throw connectionError(handle, query: sql) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return take(result)
        default:
            defer { PQclear(result) }
            var error = Self.serverError(result, query: sql)
            if PQstatus(handle) != CONNECTION_OK {
                isBroken = true
                error.kind = .connection
            }
            if error.code == .queryCanceled, Task.isCancelled { error.kind = .cancelled }
            throw error
        }
    }

    private func connectionError(_ handle: OpaquePointer, query: String?) -> PostgresError {
        if PQstatus(handle) != CONNECTION_OK { isBroken = true }
        return Self.connectionError(handle, query: query)
    }

    /// A call got no result: libpq's message for the connection's failure (shared with the
    /// listener's LISTEN).
    static func connectionError(_ handle: OpaquePointer, query: String?) -> PostgresError {
        let message = String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines
        return PostgresError(
            kind: .connection, code: .connectionFailure,
            message: message.isEmpty ? "connection to the server was lost" : message, query: query)
    }

    private func rollbackQuietly() async {
        await housekeeping { connection in
            guard let handle = connection.handle, !connection.isBroken, PQtransactionStatus(handle) != PQTRANS_IDLE
            else { return }
            if let result = PQexec(handle, "ROLLBACK") { PQclear(result) }
        }
    }

    private func checkIdleHealth() -> Bool {
        guard let handle, !isBroken, PQstatus(handle) == CONNECTION_OK else { return false }
        guard PQtransactionStatus(handle) == PQTRANS_IDLE else { return false }
        // Nothing is expected from the server on an idle pooled connection; readable means it sent
        // a termination notice or closed the socket (a restart), so the connection is not lent.
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 0)
        if ready != 0 {
            isBroken = true
            return false
        }
        return true
    }

    static func openBlocking(_ configuration: PostgresConfiguration) throws -> OpaquePointer {
        let parameters = configuration.connectionParameters
        let keywords = parameters.map { strdup($0.0) } + [nil]
        let values = parameters.map { strdup($0.1) } + [nil]
        defer {
            for pointer in keywords { free(pointer) }
            for pointer in values { free(pointer) }
        }
        let handle = keywords.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                k.withMemoryRebound(to: UnsafePointer<CChar>?.self) { keywordPointers in
                    v.withMemoryRebound(to: UnsafePointer<CChar>?.self) { valuePointers in
                        PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 1)
                    }
                }
            }
        }
        guard let handle else {
            throw PostgresError(
                kind: .connection, code: .sqlclientUnableToEstablishSQLConnection, message: "out of memory")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines
            PQfinish(handle)
            let code: PostgresError.Code =
                message.contains("password authentication failed")
                ? .invalidPassword
                : message.contains("the database system is")
                    ? .cannotConnectNow
                    : .sqlclientUnableToEstablishSQLConnection
            throw PostgresError(kind: .connection, code: code, message: message)
        }
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        // Statements are sent without blocking and their replies awaited with the poller (PQexec,
        // used for the setup below and for scripts, still blocks as documented).
        if PQsslInUse(handle) == 0, PQsetnonblocking(handle, 1) != 0 {
            let message = String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines
            PQfinish(handle)
            throw PostgresError(kind: .connection, code: .connectionFailure, message: message)
        }
        // The driver reads values in these formats; fix them per session whatever the server's
        // defaults are.
        let setup = PQexec(
            handle,
            "SET client_encoding TO 'UTF8'; SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; "
                + "SET bytea_output TO 'hex'; SET IntervalStyle TO 'iso_8601'")
        defer { PQclear(setup) }
        guard PQresultStatus(setup) == PGRES_COMMAND_OK else {
            let error = serverError(setup, query: nil)
            PQfinish(handle)
            throw error
        }
        return handle
    }

    static func serverError(_ result: OpaquePointer?, query: String?) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        let message =
            field(CLIBPQ_DIAG_MESSAGE_PRIMARY)
            ?? result.map { String(cString: PQresultErrorMessage($0)).trimmingTrailingNewlines } ?? "unknown error"
        return PostgresError(
            kind: .server,
            code: PostgresError.Code(raw: field(CLIBPQ_DIAG_SQLSTATE) ?? "XX000"),
            message: message,
            detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL),
            hint: field(CLIBPQ_DIAG_MESSAGE_HINT),
            severity: field(CLIBPQ_DIAG_SEVERITY_NONLOCALIZED),
            schemaName: field(CLIBPQ_DIAG_SCHEMA_NAME),
            tableName: field(CLIBPQ_DIAG_TABLE_NAME),
            columnName: field(CLIBPQ_DIAG_COLUMN_NAME),
            constraintName: field(CLIBPQ_DIAG_CONSTRAINT_NAME),
            query: query)
    }

    private static func copy(_ result: OpaquePointer) -> PostgresRows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(columnCount)
        for c in 0..<columnCount {
            columns.append(
                PostgresColumn(
                    name: String(cString: PQfname(result, Int32(c))),
                    type: PostgresTypeOID(UInt32(PQftype(result, Int32(c))))))
        }
        let index = PostgresColumnIndex(columns: columns)
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for c in 0..<columnCount {
                if PQgetisnull(result, Int32(r), Int32(c)) != 0 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
            rows.append(PostgresRow(index: index, values: values))
        }
        let tag = String(cString: PQcmdStatus(result))
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, rows: rows, commandTag: tag, affectedRows: affected)
    }
}

/// Statement parameters as libpq takes them, in buffers that live as long as this object.
final class BoundParameters: @unchecked Sendable {
    // @unchecked: immutable after init; the buffers are read by libpq while sending, on the one
    // call that owns the connection, and freed in deinit.
    let count: Int32
    let types: [Oid]
    let lengths: [Int32]
    let formats: [Int32]
    private let buffers: [UnsafeMutablePointer<CChar>?]

    init(_ parameters: [PostgresParameter]) {
        count = Int32(parameters.count)
        types = parameters.map { Oid($0.type.rawValue) }
        formats = parameters.map(\.format.rawValue)
        lengths = parameters.map { Int32($0.bytes?.count ?? 0) }
        buffers = parameters.map { parameter in
            guard let bytes = parameter.bytes else { return nil }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { chars in
                    if let base = chars.baseAddress { buffer.update(from: base, count: bytes.count) }
                }
            }
            buffer[bytes.count] = 0
            return buffer
        }
    }

    /// The value pointers, valid while this object lives.
    var values: [UnsafePointer<CChar>?] { buffers.map { $0.map { UnsafePointer($0) } } }

    deinit {
        for buffer in buffers { buffer?.deallocate() }
    }
}

struct PreparedKey: Hashable {
    var sql: String
    var types: [Oid]
}

/// Transaction isolation levels.
public enum IsolationLevel: Sendable {
    case readCommitted, repeatableRead, serializable

    func beginStatement(readOnly: Bool) -> String {
        let level =
            switch self {
            case .readCommitted: "READ COMMITTED"
            case .repeatableRead: "REPEATABLE READ"
            case .serializable: "SERIALIZABLE"
            }
        return "BEGIN ISOLATION LEVEL \(level)" + (readOnly ? " READ ONLY" : "")
    }
}

/// A libpq pointer carried to the connection's thread.
struct UnsafeHandle: @unchecked Sendable {
    // @unchecked: the pointer is only dereferenced by libpq on the owning connection thread.
    let pointer: OpaquePointer
}

/// One call's cancellation: cancelled before it starts, it does not run; cancelled while it
/// runs, the server is asked to cancel it (PQcancel).
final class CallCancellation: Sendable {
    private struct State {
        var cancelled = false
        var running = false
    }
    private let state = Mutex(State())
    private let handle: CancelHandle

    init(_ handle: CancelHandle) { self.handle = handle }

    /// Marks the call running; false when it was cancelled already.
    func begin() -> Bool {
        state.withLock { state in
            if state.cancelled { return false }
            state.running = true
            return true
        }
    }

    func end() { state.withLock { $0.running = false } }

    func cancelNow() {
        state.withLock { state in
            state.cancelled = true
            if state.running { handle.cancel() }
        }
    }
}

/// libpq's cancel object. PQcancel is safe to call from any thread; the mutex keeps it from
/// racing PQfreeCancel in deinit.
final class CancelHandle: Sendable {
    /// libpq's PGcancel pointer. @unchecked: libpq documents PQcancel as safe from any thread,
    /// and the pointer is only used, and freed, inside `pointer`'s mutex.
    private struct CancelPointer: @unchecked Sendable {
        let raw: OpaquePointer
    }
    private let pointer: Mutex<CancelPointer?>

    init(_ pointer: OpaquePointer?) { self.pointer = Mutex(pointer.map(CancelPointer.init(raw:))) }

    func cancel() {
        pointer.withLock { pointer in
            guard let pointer else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(pointer.raw, &buffer, Int32(buffer.count))
        }
    }

    deinit {
        pointer.withLock { pointer in
            if let pointer { PQfreeCancel(pointer.raw) }
        }
    }
}

enum ConnectionCounter {
    private static let value = Atomic<Int>(0)

    static func next() -> Int { value.add(1, ordering: .relaxed).newValue }
}
