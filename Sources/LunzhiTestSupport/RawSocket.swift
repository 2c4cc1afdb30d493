import Foundation

/// A blocking TCP client on loopback, for clients that misbehave in ways `ConsoleClient` cannot.
public final class RawSocket: Sendable {
    public let descriptor: Int32

    /// `buffers`: the socket's send and receive buffer sizes (the kernel's defaults when nil).
    public init(port: Int, buffers: Int? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        if var size = buffers.map(Int32.init) {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { close(descriptor) }

    /// Sends all of `bytes`; false when the peer is gone or (with a timeout) the send blocked that long.
    public func send(_ bytes: [UInt8], timeout: Duration? = nil) async -> Bool {
        await offCooperativePool { self.sendBlocking(bytes, timeout: timeout) }
    }

    /// Shuts down the sending side (the server sees end of input); replies can still be read.
    public func finishSending() { shutdown(descriptor, Int32(SHUT_WR)) }

    /// One line without its CRLF, or nil at end of stream or when nothing came for `timeout`.
    /// The default is long: inside the loaded parallel suite a reply that needs a bcrypt
    /// comparison in a debug build was seen to take over 10 s, and a test that expects a line
    /// only waits this long when it is failing anyway.
    public func readLine(timeout: Duration = .seconds(60)) async -> String? {
        await offCooperativePool { self.readLineBlocking(timeout: timeout) }
    }

    /// Reads until end of stream or an error; returns how many bytes came.
    public func drain() async -> Int { await offCooperativePool { self.drainBlocking() } }

    private func sendBlocking(_ bytes: [UInt8], timeout: Duration?) -> Bool {
        var offset = 0
        while offset < bytes.count {
            if let timeout {
                var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLOUT), revents: 0)
                let milliseconds = Int32(
                    timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
                guard poll(&descriptor, 1, milliseconds) == 1 else { return false }
            }
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// Whether the peer closes the connection within `timeout` (reading and dropping whatever it
    /// sends first); false when it is still open then.
    public func closedByPeer(within timeout: Duration) async -> Bool {
        await offCooperativePool {
            let deadline = ContinuousClock.now + timeout
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&descriptor, 1, 100) == 1 else { continue }
                let count = recv(self.descriptor, &buffer, buffer.count, 0)
                if count <= 0 { return true }
            }
            return false
        }
    }

    /// Whether something can be read now.
    public func hasData() -> Bool {
        var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 1
    }

    private func readLineBlocking(timeout: Duration) -> String? {
        let milliseconds = Int32(timeout.components.seconds * 1000)
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, milliseconds) == 1, recv(self.descriptor, &byte, 1, 0) == 1 else {
                return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }

    private func drainBlocking() -> Int {
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 10_000) == 1 else { return total }
            let count = recv(self.descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return total }
            total += count
        }
    }

    /// Raises this process's soft limit on open files (the test holds both ends of each connection).
    public static func raiseDescriptorLimit(to wanted: UInt) {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = min(max(limit.rlim_cur, rlim_t(wanted)), limit.rlim_max)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
