import CLibPQ
import Synchronization
import Foundation

/// A notification received on a channel (`NOTIFY channel, 'payload'`).
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int
}

/// LISTEN on a dedicated connection, delivered as an `AsyncSequence` of events.
///
/// The connection has its own thread, which waits on the socket with `poll`, reads with
/// `PQconsumeInput` and drains `PQnotifies`. When the connection drops, the listener reconnects
/// with backoff, LISTENs again on every channel, and emits `.reconnected`: notifications sent
/// while it was away are lost, so a consumer must re-read whatever state it follows.
public final class PostgresListener: AsyncSequence, Sendable {
    public enum Event: Sendable, Hashable {
        case notification(PostgresNotification)
        /// The connection was lost; notifications may be missed until `.reconnected`.
        case disconnected
        /// The connection was lost and made again; notifications in between may have been missed.
        case reconnected
    }

    public typealias Element = Event

    public let configuration: PostgresConfiguration
    private let stream: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let state: ListenerState

    public init(configuration: PostgresConfiguration, channels: [String] = []) {
        self.configuration = configuration
        (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .unbounded)
        state = ListenerState(channels: channels)
    }

    deinit { stop() }

    public func makeAsyncIterator() -> AsyncStream<Event>.Iterator { stream.makeAsyncIterator() }

    /// Connects and LISTENs on the initial channels; returns once they are active. Throws when the
    /// first connection fails (later failures are retried in the background).
    public func start() async throws {
        try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
            let loop = ListenerLoop(
                configuration: configuration, state: state, continuation: continuation, ready: ready)
            startDriverThread(named: "lunzhi-listen") { loop.run() }
        }
    }

    /// Adds a channel; returns once the server has confirmed the LISTEN (when disconnected, once
    /// a new connection has). Throws the server's refusal (a standby refuses LISTEN during
    /// recovery); the channel is then not listened on.
    public func listen(_ channel: String) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            state.request(channel, done: done)
        }
    }

    /// Stops listening and ends the sequence.
    public func stop() {
        state.stop()
    }
}

/// Shared between the listener and its thread: the channels and the waiting requests behind a
/// mutex; the pipe's descriptors are fixed at init and only written/read with system calls.
final class ListenerState: Sendable {
    typealias Request = (channel: String, done: CheckedContinuation<Void, any Error>)
    private struct Shared {
        var channels: [String]
        var pending: [Request] = []
        var stopped = false
    }
    private let shared: Mutex<Shared>
    let wakeRead: Int32
    let wakeWrite: Int32

    init(channels: [String]) {
        shared = Mutex(Shared(channels: channels))
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeRead, F_SETFL, O_NONBLOCK)
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    func request(_ channel: String, done: CheckedContinuation<Void, any Error>) {
        let stopped = shared.withLock { shared in
            if shared.stopped { return true }
            if !shared.channels.contains(channel) { shared.channels.append(channel) }
            shared.pending.append((channel, done))
            return false
        }
        if stopped {
            done.resume()
            return
        }
        wake()
    }

    func stop() {
        shared.withLock { $0.stopped = true }
        wake()
    }

    var isStopped: Bool { shared.withLock { $0.stopped } }

    var allChannels: [String] { shared.withLock { $0.channels } }

    /// A channel the server refused: not LISTENed on again after a reconnect.
    func forget(_ channel: String) { shared.withLock { $0.channels.removeAll { $0 == channel } } }

    /// Puts requests back, to be answered once a new connection has LISTENed.
    func putBack(_ requests: [Request]) { shared.withLock { $0.pending = requests + $0.pending } }

    func takePending() -> [Request] {
        shared.withLock { shared in
            let taken = shared.pending
            shared.pending.removeAll()
            return taken
        }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }
}

/// The listener thread's body. Runs blocking libpq calls; never on Swift's cooperative pool.
private final class ListenerLoop: @unchecked Sendable {
    // @unchecked: used by exactly one thread after creation.
    let configuration: PostgresConfiguration
    let state: ListenerState
    let continuation: AsyncStream<PostgresListener.Event>.Continuation
    var ready: CheckedContinuation<Void, any Error>?
    var handle: OpaquePointer?
    var connectedBefore = false
    var backoffMilliseconds: Int32 = 100

    init(
        configuration: PostgresConfiguration, state: ListenerState,
        continuation: AsyncStream<PostgresListener.Event>.Continuation, ready: CheckedContinuation<Void, any Error>
    ) {
        self.configuration = configuration
        self.state = state
        self.continuation = continuation
        self.ready = ready
    }

    func run() {
        defer {
            if let handle { PQfinish(handle) }
            for (_, done) in state.takePending() { done.resume() }
            continuation.finish()
        }
        while !state.isStopped {
            guard let handle else {
                connect()
                continue
            }
            var descriptors = [
                pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0),
                pollfd(fd: state.wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&descriptors, 2, 1000)
            if descriptors[1].revents != 0 {
                state.drainWake()
                guard listenForRequests(handle) else { continue }
            }
            if descriptors[0].revents != 0 {
                if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK {
                    drop()
                    continue
                }
                deliverNotifications(handle)
            }
        }
    }

    private func connect() {
        do {
            let opened = try PostgresConnection.openBlocking(configuration)
            for channel in state.allChannels {
                if let refusal = listen(opened, channel) {
                    PQfinish(opened)
                    throw refusal
                }
            }
            handle = opened
            backoffMilliseconds = 100
            for (_, done) in state.takePending() { done.resume() }  // LISTENed above with allChannels
            if connectedBefore { continuation.yield(.reconnected) }
            connectedBefore = true
            ready?.resume()
            ready = nil
        } catch {
            if let ready {
                ready.resume(throwing: error)
                self.ready = nil
                state.stop()
                return
            }
            // Wait before retrying, but wake at once when stopped.
            var descriptor = pollfd(fd: state.wakeRead, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, backoffMilliseconds)
            backoffMilliseconds = min(backoffMilliseconds * 2, 5000)
        }
    }

    private func drop() {
        if let handle { PQfinish(handle) }
        handle = nil
        continuation.yield(.disconnected)
    }

    private func deliverNotifications(_ handle: OpaquePointer) {
        while let notification = PQnotifies(handle) {
            let event = PostgresNotification(
                channel: String(cString: notification.pointee.relname),
                payload: String(cString: notification.pointee.extra),
                senderPID: Int(notification.pointee.be_pid))
            PQfreemem(notification)
            continuation.yield(.notification(event))
        }
    }

    /// Answers `listen(_:)` calls: each channel is LISTENed on, or its caller gets the server's
    /// refusal. When the connection is lost meanwhile, the requests wait for the next connection
    /// and this returns false (the connection is dropped).
    private func listenForRequests(_ handle: OpaquePointer) -> Bool {
        var requests = state.takePending()[...]
        while let request = requests.popFirst() {
            guard let refusal = listen(handle, request.channel) else {
                request.done.resume()
                continue
            }
            if PQstatus(handle) != CONNECTION_OK {
                state.putBack([request] + requests)
                drop()
                return false
            }
            state.forget(request.channel)
            request.done.resume(throwing: refusal)
        }
        return true
    }

    /// LISTENs on `channel`; returns why not when the name cannot be quoted, the server refuses or
    /// the connection is lost.
    private func listen(_ handle: OpaquePointer, _ channel: String) -> PostgresError? {
        let sql: String
        do {
            sql = "LISTEN " + (try PostgresConnection.escapedIdentifier(handle, channel))
        } catch {
            return error
        }
        guard let result = PQexec(handle, sql) else { return PostgresConnection.connectionError(handle, query: sql) }
        defer { PQclear(result) }
        deliverNotifications(handle)
        guard PQresultStatus(result) != PGRES_COMMAND_OK else { return nil }
        return PostgresConnection.serverError(result, query: sql)
    }
}
