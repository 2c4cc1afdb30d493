import CLibPQ
import Foundation
import Synchronization

/// One thread, for the whole process, that waits on the sockets of connections with a statement in
/// flight (epoll) and resumes the task waiting for each.
///
/// A statement is sent with libpq's non-blocking calls by the task that runs it, on whatever thread
/// that task is (an event loop in the server); only the wait for the server's reply is handed
/// here. One thread waits for all connections, so a reply costs one wake-up of this thread and one
/// of the task's executor, and under load one wake-up here serves many replies.
final class SocketPoller: Sendable {
    static let shared = SocketPoller()

    private let epoll: Int32
    /// The task waiting on each armed socket, by the connection's token.
    private let waiters = Mutex<[UInt64: CheckedContinuation<Bool, Never>]>([:])

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epoll >= 0, "epoll_create1 failed: errno \(errno)")
        startDriverThread(named: "lunzhi-pg-poll") { [self] in self.loop() }
    }

    /// Returns true once `socket` is readable (or writable, with `writable`), has an error or was
    /// hung up. `token` names the connection (unique in the process). Returns false at once when
    /// the socket cannot be watched (closed by libpq, or refused by epoll).
    func wait(socket: Int32, token: UInt64, writable: Bool) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            waiters.withLock { $0[token] = continuation }
            if !arm(socket: socket, token: token, writable: writable) {
                waiters.withLock { $0.removeValue(forKey: token) }?.resume(returning: false)
            }
        }
    }

    /// Rearms the socket's registration, or registers it (a new connection, or a descriptor
    /// number reused after another connection closed: closing removes it from the epoll set).
    private func arm(socket: Int32, token: UInt64, writable: Bool) -> Bool {
        let flag: Int32 = writable ? 1 : 0
        if clibpq_epoll_arm(epoll, socket, flag, token, 0) == 0 { return true }
        guard errno == ENOENT else { return false }
        if clibpq_epoll_arm(epoll, socket, flag, token, 1) == 0 { return true }
        return errno == EEXIST && clibpq_epoll_arm(epoll, socket, flag, token, 0) == 0
    }

    private func loop() {
        var tokens = [UInt64](repeating: 0, count: 64)
        while true {
            let count = tokens.withUnsafeMutableBufferPointer { buffer in
                clibpq_epoll_wait(epoll, buffer.baseAddress, Int32(buffer.count), -1)
            }
            guard count > 0 else { continue }  // EINTR
            let ready = waiters.withLock { waiting in
                tokens[0..<Int(count)].compactMap { waiting.removeValue(forKey: $0) }
            }
            for continuation in ready { continuation.resume(returning: true) }
        }
    }
}
