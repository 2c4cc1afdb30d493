import Foundation
import Synchronization

/// Ports for the servers tests start on 127.0.0.1 (private PostgreSQL clusters, SMTP and HTTP
/// sinks, `lunzhi serve`).
///
/// Chosen below the kernel's ephemeral range (`ip_local_port_range`, usually 32768-60999), from
/// which every outgoing connection takes its local port and every port-0 listener its port. A
/// port from inside that range is only free until the next connect: a cluster restarted under a
/// load of reconnecting clients was seen to find its own port taken by one of them
/// ("Address already in use"). Below it, only a server that binds a port by number can take it;
/// each port is checked by binding it and is handed out once per test process.
public enum LoopbackPort {
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port nothing on 127.0.0.1 is bound to now, not given to anyone else in this process:
    /// one of the 12,000 below the ephemeral range (fewer when it starts low), never below 1024.
    /// Deploy/lib/postgres.sh's `lunzhi_free_port` picks from the same ports.
    public static func free() throws -> Int {
        let ephemeralLow = ephemeralRangeStart()
        let candidates = max(1024, ephemeralLow - 12_000)..<ephemeralLow
        for _ in 0..<1_000 {
            let port = Int.random(in: candidates)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if isBindable(port) { return port }
        }
        throw TestEnvironmentError(message: "no free loopback port in \(candidates)")
    }

    /// The first port of `/proc/sys/net/ipv4/ip_local_port_range`; Linux's default when unreadable.
    private static func ephemeralRangeStart() -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        guard let first = text.split(whereSeparator: \.isWhitespace).first, let low = Int(first), low > 2048 else {
            return 32768
        }
        return low
    }

    /// Whether 127.0.0.1:`port` can be bound, with SO_REUSEADDR as PostgreSQL and NIO set it (so
    /// a connection of a past test in TIME_WAIT does not count as a user).
    private static func isBindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
