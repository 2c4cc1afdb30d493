import NIOCore
import NIOExtras
import NIOPosix
public import NIOSSL

/// A reply as a client reads it: the code and the text lines (without `CCC-` / `CCC `).
public struct ConsoleClientReply: Sendable, Equatable {
    public var code: Int
    public var lines: [String]
    /// The raw lines as received.
    public var raw: [String]

    public var text: String { lines.joined(separator: "\n") }
}

/// A console client over NIO: connect, read the greeting, send lines, read whole replies. Used
/// by `lunzhi console` and by the tests.
public final class ConsoleClient {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    /// The server's first line (`220 lunzhi … ready`).
    public private(set) var greeting = ""

    private init(
        iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.iterator = iterator
        self.outbound = outbound
    }

    /// Connects over TCP (with TLS when a context is given), reads the greeting, runs `body`, closes.
    /// A connection not made within `connectTimeout` fails with NIO's connect timeout.
    public static func with<T: Sendable>(
        host: String, port: Int, tls: NIOSSLContext? = nil, connectTimeout: Duration = .seconds(10),
        maximumLineLength: Int = 1 << 24, _ body: (ConsoleClient) async throws -> T
    ) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                secured(channel, tls: tls, host: host, maximumLineLength)
            }
        return try await session(channel, body)
    }

    /// Connects over the server's Unix socket, reads the greeting, runs `body`, closes.
    public static func with<T: Sendable>(
        unixSocketPath: String, maximumLineLength: Int = 1 << 24, _ body: (ConsoleClient) async throws -> T
    ) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: unixSocketPath) { framed($0, maximumLineLength) }
        return try await session(channel, body)
    }

    private static func secured(
        _ channel: any Channel, tls: NIOSSLContext?, host: String, _ maximumLineLength: Int
    ) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> {
        if let tls {
            do {
                // Hostname checks need a name; for an address, the certificate's IP SAN is checked.
                let name: String? = host.first?.isLetter == true ? host : nil
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: name))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        return framed(channel, maximumLineLength)
    }

    private static func framed(_ channel: any Channel, _ maximumLineLength: Int)
        -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>>
    {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: maximumLineLength))
            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
    }

    private static func session<T: Sendable>(
        _ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ body: (ConsoleClient) async throws -> T
    ) async throws -> T {
        try await channel.executeThenClose { inbound, outbound in
            let client = ConsoleClient(iterator: inbound.makeAsyncIterator(), outbound: outbound)
            client.greeting = try await client.readLine() ?? ""
            return try await body(client)
        }
    }

    /// Sends bytes as they are (no line break added).
    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Sends one request line (CRLF added).
    public func send(_ line: String) async throws {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
    }

    /// Sends a request and reads its reply.
    public func request(_ line: String) async throws -> ConsoleClientReply {
        try await send(line)
        guard let reply = try await readReply() else { throw ConsoleClientError.closed }
        return reply
    }

    /// Reads one whole reply (text: up to the `CCC ` line; JSON: one line), or nil at end of stream.
    public func readReply() async throws -> ConsoleClientReply? {
        var raw: [String] = []
        while let line = try await readLine() {
            raw.append(line)
            if line.hasPrefix("{") { return ConsoleClientReply(code: Self.jsonCode(line), lines: [line], raw: raw) }
            let scalars = Array(line.utf8)
            guard scalars.count >= 4, let code = Int(String(decoding: scalars[0..<3], as: UTF8.self)) else {
                return ConsoleClientReply(code: 0, lines: raw, raw: raw)
            }
            if scalars[3] == UInt8(ascii: " ") {
                return ConsoleClientReply(code: code, lines: raw.map { String($0.dropFirst(4)) }, raw: raw)
            }
        }
        return raw.isEmpty ? nil : ConsoleClientReply(code: 0, lines: raw, raw: raw)
    }

    /// Reads one line, or nil when the server closed the connection.
    public func readLine() async throws -> String? {
        guard let buffer = try await iterator.next() else { return nil }
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    static func jsonCode(_ line: String) -> Int {
        guard let range = line.range(of: "\"code\":") else { return 0 }
        return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }
}

public enum ConsoleClientError: Error, Equatable {
    case closed
}
