public import Logging
import Metrics
import Synchronization

/// Turns one request line into one reply: parse, find the command, check sign-in and argument
/// names, run it, map errors. Independent of the network, so it is tested (and fuzzed) alone.
public struct ConsoleDispatcher: Sendable {
    let environment: ConsoleEnvironment
    let logger: Logger

    public init(environment: ConsoleEnvironment, logger: Logger) {
        self.environment = environment
        self.logger = logger
    }

    /// Runs one request as a principal, outside any connection (`lunzhi audit query`).
    public func run(_ line: String, asPrincipal id: Int, named name: String) async -> ConsoleReply {
        let session = SessionState(remoteAddress: "command line")
        session.principal = id
        session.principalName = name
        return await handle(Array(line.utf8), session: session).reply
    }

    /// A request line parsed and checked: answered already (a syntax, sign-in or argument error,
    /// or a command that needs no wait), or a command to run with `run`.
    enum Outcome {
        case answered(ConsoleReply, tag: String?)
        case pending(ConsoleCommand, CommandInvocation, tag: String?)
    }

    func handle(_ line: [UInt8], session: SessionState) async -> (reply: ConsoleReply, tag: String?) {
        switch handleImmediately(line, session: session) {
        case .answered(let reply, let tag): return (reply, tag)
        case .pending(let command, let invocation, let tag): return (await run(command, invocation), tag)
        }
    }

    /// Lines that show an HTTP client has reached the console.
    private static let httpMethods: [[UInt8]] = ["GET ", "POST ", "HEAD "].map { Array($0.utf8) }

    /// Answers what can be answered without waiting; the rest is left `.pending`.
    func handleImmediately(_ line: [UInt8], session: SessionState) -> Outcome {
        for method in Self.httpMethods where line.starts(with: method) {
            return .answered(
                .error(400, "BAD_SYNTAX", "this is the Lunzhi console, not an HTTP server", closeAfter: true), tag: nil)
        }
        let request: ConsoleRequest
        switch ConsoleRequestParser.parse(line) {
        case .failure(let error): return .answered(.error(400, "BAD_SYNTAX", error.message), tag: error.tag)
        case .success(let parsed): request = parsed
        }
        guard !request.words.isEmpty else {
            return .answered(.error(400, "BAD_SYNTAX", "empty request; try HELP"), tag: request.tag)
        }
        guard let (command, nameWords) = CommandTable.find(request.words) else {
            let verb = String(request.words[0].prefix(40)).uppercased()
            return .answered(.error(400, "UNKNOWN_COMMAND", "unknown command \(verb); try HELP"), tag: request.tag)
        }
        if command.requiresAuth && session.principal == nil {
            return .answered(.error(401, "AUTH_REQUIRED", "sign in first: AUTH <principal> <secret>"), tag: request.tag)
        }
        if let unknown = request.named.first(where: { !command.keys.contains($0.key) }) {
            let accepted = command.keys.sorted().map { $0 + "=" }.joined(separator: " ")
            return .answered(
                .error(
                    400, "BAD_ARGUMENT",
                    "\(command.name) does not take \(unknown.key)="
                        + (accepted.isEmpty ? "" : " (it takes \(accepted))")), tag: request.tag)
        }
        let arguments = Arguments(
            words: Array(request.words.dropFirst(nameWords)),
            named: request.named.isEmpty
                ? [:] : Dictionary(request.named.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
        let invocation = CommandInvocation(session: session, environment: environment, arguments: arguments)
        guard let immediate = command.immediateHandler else { return .pending(command, invocation, tag: request.tag) }
        let started = ContinuousClock.now
        let requestID = RequestID.next()
        let reply: ConsoleReply
        do {
            reply = try immediate(invocation)
        } catch {
            reply = ConsoleErrorMapping.reply(for: error, command: command.name, requestID: requestID, logger: logger)
        }
        record(command, reply, session: session, requestID: requestID, started: started)
        return .answered(reply, tag: request.tag)
    }

    /// Runs a command that `handleImmediately` left pending.
    func run(_ command: ConsoleCommand, _ invocation: CommandInvocation) async -> ConsoleReply {
        let started = ContinuousClock.now
        // Every request gets an id: in its log line, and in a 500 reply, so an operator can find one from the other.
        let requestID = RequestID.next()
        let reply: ConsoleReply
        do {
            reply = try await command.handler(invocation)
        } catch {
            reply = ConsoleErrorMapping.reply(for: error, command: command.name, requestID: requestID, logger: logger)
        }
        record(command, reply, session: invocation.session, requestID: requestID, started: started)
        return reply
    }

    private func record(
        _ command: ConsoleCommand, _ reply: ConsoleReply, session: SessionState, requestID: RequestID,
        started: ContinuousClock.Instant
    ) {
        command.metrics.record(code: reply.code, duration: ContinuousClock.now - started)
        // Arguments are not logged: they may hold secrets.
        logger.info(
            "request",
            metadata: [
                "request_id": "\(requestID)", "command": "\(command.name)", "code": "\(reply.code)",
                "principal": "\(session.principalName ?? "-")",
                "remote": "\(session.remoteAddress)",
                "ms": "\(Double((ContinuousClock.now - started).nanoseconds / 1000) / 1000)",
            ])
    }
}

/// Request ids: a random start chosen once per process, then counted up, so they are unique in
/// the process, unlikely to repeat across restarts, and cost no system call (`random` asks the
/// kernel each time, which showed in the profile of PING).
struct RequestID: CustomStringConvertible, Sendable {
    private static let counter = Atomic<UInt64>(UInt64.random(in: 0...UInt64.max))

    let value: UInt64

    static func next() -> RequestID { RequestID(value: counter.wrappingAdd(1, ordering: .relaxed).newValue) }

    /// Hexadecimal, as logs and 500 replies show it; formatted only when one of them needs it.
    var description: String { String(value, radix: 16) }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// One command's counters (one per reply code) and latency timer, made on first use (after the
/// metrics backend is set up) and then kept: making a metric goes through the backend's registry
/// and its lock, and a shared table keyed by "command code" strings cost 6% of PING's CPU. A
/// command answers with a handful of codes, so they are found by a linear search, cheaper than
/// hashing (the dictionary this replaced cost 1% of PING's CPU).
final class CommandMetrics: Sendable {
    private struct State {
        var timer: Timer?
        var counters: [(code: Int, counter: Counter)] = []
    }
    private let state = Mutex(State())
    private let command: String

    init(command: String) { self.command = command }

    func record(code: Int, duration: Duration) {
        let (counter, timer) = state.withLock { state in
            let timer =
                state.timer
                ?? Timer(label: "lunzhi_console_command_duration_seconds", dimensions: [("command", command)])
            state.timer = timer
            if let known = state.counters.first(where: { $0.code == code }) { return (known.counter, timer) }
            let counter = Counter(
                label: "lunzhi_console_commands_total", dimensions: [("command", command), ("code", String(code))])
            state.counters.append((code, counter))
            return (counter, timer)
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }
}
