import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOExtras
import NIOPosix

/// `lunzhi-bench`: a load generator for line protocols. C connections, P requests in flight on
/// each (pipelined), for a set time; prints throughput and latency percentiles (HdrHistogram).
/// The same generator drives Lunzhi's console and the references (Redis's inline PING), so their
/// figures compare like with like.
@main
struct LoadGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lunzhi-bench", abstract: "Load a line-protocol server and report throughput and latency.")

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case ping, read, write, mixed
    }

    enum Wire: String, ExpressibleByArgument {
        /// Lunzhi's console: a greeting, replies `CCC-…` … `CCC …`.
        case console
        /// Redis inline commands: one-line replies.
        case redis
    }

    @Option var host = "127.0.0.1"
    @Option var port: Int
    @Option(name: .customLong("protocol")) var wire: Wire = .console
    @Option var workload: Workload = .ping
    @Option(name: .short, help: "Connections.") var connections = 16
    @Option(name: .short, help: "Requests in flight per connection.") var pipeline = 1
    @Option(help: "Seconds to run (after a one-second warm-up).") var duration: Double = 5
    @Option(
        help:
            "Requests per second over all connections, sent on schedule (open loop, one in flight per connection); latency counts from the scheduled time, so a late reply delays no measurement. 0: as fast as replies come (closed loop)."
    )
    var rate: Double = 0
    @Option(help: "Sign in as this principal (console).") var user: String?
    @Option(help: "Its secret (default: LUNZHI_SECRET).") var secret: String?
    @Option(help: "For read: the item id ITEM SHOW reads.") var item = 1
    @Option(help: "For read: the consultation id CONSULT SHOW reads.") var consultation = 1
    @Option(
        help:
            "The server's process id: report the CPU time it used per request over the measured seconds (from /proc; less noisy than throughput on a shared machine)."
    ) var serverPid: Int32?

    func run() async throws {
        let secret = secret ?? ProcessInfo.processInfo.environment["LUNZHI_SECRET"]
        let startLine = StartLine(connections + (serverPid == nil ? 0 : 1))
        async let serverUse: ServerSample? = {
            guard let serverPid else { return nil }
            return try await Self.useDuring(pid: serverPid, startLine: startLine, duration)
        }()
        let results = try await withThrowingTaskGroup(of: Tally.self) { group in
            for index in 0..<connections {
                group.addTask {
                    try await drive(index: index, secret: secret, startLine: startLine)
                }
            }
            var total = Tally()
            for try await tally in group { total.add(tally) }
            return total
        }
        let h = results.latencies
        func ms(_ p: Double) -> String { String(format: "%.3f", Double(h.valueAtPercentile(p)) / 1000) }
        print(
            String(
                format:
                    "%@ %@ c=%d p=%d%@: %d requests in %.1f s = %.0f/s; p50 %@ ms, p99 %@ ms, p99.9 %@ ms; errors %d",
                wire.rawValue, workload.rawValue, connections, pipeline,
                rate > 0 ? String(format: " rate=%.0f/s", rate) : "", results.count, duration,
                Double(results.count) / duration, ms(50), ms(99), ms(99.9), results.errors)
                + (try await serverUse.map {
                    let requests = Double(max(1, results.count))
                    return String(
                        format: "; server CPU %.1f µs/request, %.2f context switches/request",
                        $0.cpuSeconds * 1e6 / requests, Double($0.contextSwitches.values.reduce(0, +)) / requests)
                } ?? ""))
    }

    /// What the server process used: CPU seconds (user and system, all threads) and context
    /// switches (voluntary and not, summed over its threads; each sleep-and-wake of a thread is one).
    struct ServerSample: Sendable {
        var cpuSeconds: Double
        /// By thread id.
        var contextSwitches: [Int: Int]

        /// What was used between `b` and `a`: threads started since count from zero; threads that
        /// ended are left out (their counts are gone from /proc, and subtracting them would
        /// undercount).
        static func - (a: ServerSample, b: ServerSample) -> ServerSample {
            var switches: [Int: Int] = [:]
            for (thread, count) in a.contextSwitches { switches[thread] = count - (b.contextSwitches[thread] ?? 0) }
            return ServerSample(cpuSeconds: a.cpuSeconds - b.cpuSeconds, contextSwitches: switches)
        }
    }

    /// What process `pid` used during the measured window: from the end of the warm-up to the deadline.
    static func useDuring(pid: Int32, startLine: StartLine, _ duration: Double) async throws -> ServerSample {
        let start = await startLine.arrive()
        try await Task.sleep(until: start + .seconds(1), clock: .continuous)
        let before = try sample(pid)
        try await Task.sleep(until: start + .seconds(1) + .milliseconds(Int64(duration * 1000)), clock: .continuous)
        return try sample(pid) - before
    }

    static func sample(_ pid: Int32) throws -> ServerSample {
        ServerSample(cpuSeconds: try cpuSeconds(pid), contextSwitches: contextSwitches(pid))
    }

    /// `voluntary_ctxt_switches` plus `nonvoluntary_ctxt_switches` of each thread, from
    /// `/proc/PID/task/*/status`.
    static func contextSwitches(_ pid: Int32) -> [Int: Int] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var counts: [Int: Int] = [:]
        for task in tasks {
            guard let tid = Int(task) else { continue }
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8) else {
                continue
            }
            for line in status.split(separator: "\n") where line.contains("ctxt_switches:") {
                let value = line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? ""
                counts[tid, default: 0] += Int(value) ?? 0
            }
        }
        return counts
    }

    /// utime + stime of `/proc/PID/stat` (fields 14 and 15, counted after the command name).
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        guard let close = stat.lastIndex(of: ")") else { throw ValidationError("cannot read /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw ValidationError("cannot read /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    struct Tally: Sendable {
        var count = 0
        var errors = 0
        var latencies = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

        mutating func add(_ other: Tally) {
            count += other.count
            errors += other.errors
            latencies.add(other.latencies)
        }
    }

    func request(_ n: Int, connection: Int) -> String {
        switch (wire, workload) {
        case (.redis, _): return "PING"
        case (.console, .ping): return "PING"
        case (.console, .read):
            switch n % 3 {
            case 0: return "CHAIR"
            case 1: return "ITEM SHOW \(item)"
            default: return "CONSULT SHOW \(consultation)"
            }
        case (.console, .write):
            return "ITEM FILE category=direction track=regular title=bench-\(connection)-\(n)"
        case (.console, .mixed):
            return n % 10 == 0
                ? "ITEM FILE category=direction track=regular title=bench-\(connection)-\(n)"
                : (n % 2 == 0 ? "CHAIR" : "ITEM SHOW \(item)")
        }
    }

    /// One connection: greeting and sign-in, then P requests kept in flight until the deadline.
    func drive(index: Int, secret: String?, startLine: StartLine) async throws -> Tally {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: 1 << 20))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            /// Reads one whole reply; its code (Redis: 200 for `+`, 500 for `-`).
            func reply() async throws -> Int {
                while let buffer = try await lines.next() {
                    let line = String(buffer: buffer)
                    if wire == .redis { return line.hasPrefix("+") ? 200 : 500 }
                    let bytes = Array(line.utf8)
                    if bytes.count >= 4 && bytes[3] == UInt8(ascii: " ") { return Int(line.prefix(3)) ?? 0 }
                    if bytes.count == 3 { return Int(line) ?? 0 }
                }
                throw CancellationError()
            }
            if wire == .console {
                _ = try await reply()  // the greeting
                if let user, let secret {
                    try await outbound.write(ByteBuffer(string: "AUTH \(user) \(secret)\r\n"))
                    guard try await reply() == 200 else { throw ValidationError("AUTH \(user) failed") }
                }
            }
            // Every connection is open and signed in (bcrypt takes a while) before the clock starts.
            let start = await startLine.arrive()
            let warmUpEnds = start + .seconds(1)
            let deadline = warmUpEnds + .milliseconds(Int64(duration * 1000))
            var tally = Tally()
            func record(_ code: Int, since start: ContinuousClock.Instant, now: ContinuousClock.Instant) {
                guard start >= warmUpEnds && now <= deadline else { return }
                tally.count += 1
                if code >= 400 { tally.errors += 1 }
                let micros = (now - start).components
                _ = tally.latencies.record(
                    UInt64(max(1, micros.seconds * 1_000_000 + micros.attoseconds / 1_000_000_000_000)))
            }
            if rate > 0 {
                // Open loop: this connection's k-th request is due at origin + k × interval.
                let interval = Duration.nanoseconds(Int64(Double(connections) / rate * 1e9))
                var due = start + interval * Double(index) / Double(connections)
                var n = 0
                while due < deadline {
                    if due > .now { try await Task.sleep(until: due) }
                    try await outbound.write(ByteBuffer(string: request(n, connection: index) + "\r\n"))
                    let code = try await reply()
                    record(code, since: due, now: .now)
                    n += 1
                    due += interval
                }
                return tally
            }
            var sent: [ContinuousClock.Instant] = []
            var head = 0
            var n = 0
            func send() async throws {
                sent.append(.now)
                try await outbound.write(ByteBuffer(string: request(n, connection: index) + "\r\n"))
                n += 1
            }
            for _ in 0..<pipeline { try await send() }
            while head < sent.count {
                let code = try await reply()
                let now = ContinuousClock.now
                record(code, since: sent[head], now: now)
                head += 1
                if now < deadline { try await send() }
            }
            return tally
        }
    }
}

/// Holds every connection until all have arrived, then gives them one common start.
actor StartLine {
    private let expected: Int
    private var waiting: [CheckedContinuation<ContinuousClock.Instant, Never>] = []

    init(_ expected: Int) { self.expected = expected }

    func arrive() async -> ContinuousClock.Instant {
        await withCheckedContinuation { continuation in
            waiting.append(continuation)
            if waiting.count == expected {
                let start = ContinuousClock.now
                for waiter in waiting { waiter.resume(returning: start) }
                waiting.removeAll()
            }
        }
    }
}
