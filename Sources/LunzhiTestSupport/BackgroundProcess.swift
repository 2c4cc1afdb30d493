public import Foundation
import LunzhiCore

/// A program running beside a test (an SMTP sink, a daemon), stopped with a signal.
public final class BackgroundProcess: Sendable {
    public let pid: pid_t

    /// Starts `executable` with `arguments`; output goes to `log` (or /dev/null).
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, log: String = "/dev/null"
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Other tests' sockets stay theirs: a witness that inherited 1,000 console connections
        // kept them open after the test closed them, and the server's slots never came free.
        SpawnActions.closeInherited(in: &actions)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let environmentList =
            (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in environmentList { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, executable, &actions, nil, argv, environmentList)
        guard result == 0 else { throw TestEnvironmentError(message: "cannot start \(executable): errno \(result)") }
        self.pid = pid
    }

    /// Sends a signal (SIGKILL by default) and reaps the process.
    public func stop(_ signal: Int32 = SIGKILL) {
        kill(pid, signal)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Waits for the process to exit by itself; returns its exit status, or 128 + the signal
    /// that killed it (as shells report it). The wait runs on a thread of its own: blocking in
    /// `waitpid` on Swift's cooperative pool (two threads here) stalled every other test's async
    /// code and the accept loops of the consoles under test, which timed out connecting.
    public func exit() async -> Int32 {
        await offCooperativePool { self.waitBlocking() }
    }

    private func waitBlocking() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Waits until something accepts TCP connections on 127.0.0.1:`port`.
    /// The default is generous: at the suite's start both cores are busy for tens of seconds, and a
    /// Python helper (an SMTP or HTTP sink) was seen needing more than 15 s to listen.
    public static func waitForPort(_ port: Int, timeout: Duration = .seconds(60)) async throws {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(fd)
            if connected { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestEnvironmentError(message: "nothing listens on port \(port)")
    }
}

/// Runs a blocking call on a thread of its own and returns its result. Blocking Swift's
/// cooperative pool (two threads on this machine) would stall every other test's async code and
/// the servers under test, which run on it too.
public func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}
