import CLibPQ
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

    /// Adds a channel; returns once the server has confirmed the LISTEN (or, when disconnected,
    /// once it is queued for the next connection).
    public func listen(_ channel: String) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            state.request(channel, done: done)
        }
    }

    /// Stops listening and ends the sequence.
    public func stop() {
        state.stop()
    }
}

/// Shared between the listener and its thread. @unchecked: every field is guarded by `lock`;
/// the pipe's descriptors are fixed at init and only written/read with system calls.
final class ListenerState: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [String]
    private var pending: [(String, CheckedContinuation<Void, Never>)] = []
    private var stopped = false
    let wakeRead: Int32
    let wakeWrite: Int32

    init(channels: [String]) {
        self.channels = channels
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

    func request(_ channel: String, done: CheckedContinuation<Void, Never>) {
        lock.lock()
        if stopped {
            lock.unlock()
            done.resume()
            return
        }
        if !channels.contains(channel) { channels.append(channel) }
        pending.append((channel, done))
        lock.unlock()
        wake()
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        wake()
    }

    var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    var allChannels: [String] {
        lock.lock()
        defer { lock.unlock() }
        return channels
    }

    func takePending() -> [(String, CheckedContinuation<Void, Never>)] {
        lock.lock()
        defer { lock.unlock() }
        let taken = pending
        pending.removeAll()
        return taken
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
                for (channel, done) in state.takePending() {
                    _ = listen(handle, channel)
                    done.resume()
                }
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
                guard listen(opened, channel) else {
                    let error = PostgresConnection.serverError(nil, query: nil)
                    PQfinish(opened)
                    throw error
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

    private func execute(_ handle: OpaquePointer, _ sql: String) -> Bool {
        guard let result = PQexec(handle, sql) else { return false }
        defer { PQclear(result) }
        let ok = PQresultStatus(result) == PGRES_COMMAND_OK
        deliverNotifications(handle)
        return ok
    }

    /// LISTENs on `channel`; false when the name cannot be quoted or the server refuses.
    private func listen(_ handle: OpaquePointer, _ channel: String) -> Bool {
        guard let identifier = try? PostgresConnection.escapedIdentifier(handle, channel) else { return false }
        return execute(handle, "LISTEN " + identifier)
    }
}
