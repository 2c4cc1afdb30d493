import CLibPQ
import Foundation

/// A dedicated OS thread that runs one connection's blocking libpq calls, one at a time.
///
/// Blocking an event loop or Swift's cooperative pool would stall unrelated work, so what libpq
/// only offers blocking (connecting, scripts, ROLLBACK, closing, and every statement of a TLS
/// connection) runs here. Statements on other connections are sent without blocking by the calling
/// task and awaited with `SocketPoller`; `PostgresConnection`'s gate keeps the two from overlapping.
final class ConnectionThread: @unchecked Sendable {
    // @unchecked: `jobs` and `stopped` are only read or written while holding `condition`.
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopped = false

    init(name: String) {
        startDriverThread(named: name) { [self] in self.loop() }
    }

    /// Runs `body` on the thread and returns its result. Throws `connectionClosed` after `stop()`.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = enqueue {
                continuation.resume(with: Result { try body() })
            }
            if !accepted {
                continuation.resume(
                    throwing: PostgresError(
                        kind: .connectionClosed, code: .connectionDoesNotExist, message: "connection is closed"))
            }
        }
    }

    /// Runs `body` on the thread without waiting for it.
    @discardableResult
    func enqueue(_ body: @escaping () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { return false }
        jobs.append(body)
        condition.signal()
        return true
    }

    /// Lets queued jobs finish, then ends the thread.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job() }
        }
    }
}

/// Starts one of the driver's own threads (a connection's, the poller, the listener): a 1 MB stack,
/// and `name` given to the system, where `top -H`, `ps -L` and perf show it (Foundation's
/// `Thread.name` does not reach it on Linux; at most 15 bytes are kept).
func startDriverThread(named name: String, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread {
        clibpq_name_this_thread(name)
        body()
    }
    thread.stackSize = 1 << 20
    thread.start()
}
