import Logging
import NIOCore

/// One accepted console connection as the server's task sees it: the channel, and the requests
/// its handler could not answer on the event loop (they need the database), in order.
struct ConsoleConnection: Sendable {
    let channel: any Channel
    let requests: AsyncStream<AwaitedRequests>
}

/// Requests that must be awaited: the first, already parsed and checked, then the rest of the
/// lines that arrived with it. `resume` hands the replies back to the connection's event loop.
struct AwaitedRequests: Sendable {
    let command: ConsoleCommand
    let invocation: CommandInvocation
    let tag: String?
    let rest: [ByteBuffer]
    let resume: @Sendable (AwaitedReplies) -> Void

    /// Runs the first request, then the others one by one, stopping after one that closes.
    func run(_ dispatcher: ConsoleDispatcher, maximumLineLength: Int) async -> AwaitedReplies {
        let session = invocation.session
        var replies = AwaitedReplies()
        let first = await dispatcher.run(command, invocation)
        first.write(to: &replies.buffer, tag: tag, json: session.json)
        if first.closeAfter {
            replies.close = true
            return replies
        }
        for line in rest {
            guard line.readableBytes <= maximumLineLength else {
                replies.lineTooLong = true
                return replies
            }
            let (reply, tag) = await dispatcher.handle(Array(line.readableBytesView), session: session)
            reply.write(to: &replies.buffer, tag: tag, json: session.json)
            if reply.closeAfter {
                replies.close = true
                return replies
            }
        }
        return replies
    }
}

/// What running awaited requests produced: their replies, and whether the connection ends.
struct AwaitedReplies: Sendable {
    var buffer = ByteBuffer()
    var close = false
    var lineTooLong = false
}

/// Serves one console connection on its event loop. Replies go out in the order of the requests:
/// requests that need no wait (PING, HELP, FORMAT, QUIT, and every syntax, sign-in or argument
/// error) are answered at once, without a task; at the first one that needs the database, it and
/// the lines after it go to the connection's task (`ConsoleConnection.requests`), and the
/// connection reads nothing more from the client until that task has answered. All the replies
/// to one read go back in one write.
final class ConsoleConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = [ByteBuffer]
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let configuration: ConsoleServer.Configuration
    private let environment: ConsoleEnvironment
    private let dispatcher: ConsoleDispatcher
    private let logger: Logger
    private let requests: AsyncStream<AwaitedRequests>.Continuation

    private var started = false
    private var counted = false
    /// Counted per address (TCP peers; nil for Unix-socket clients).
    private var countedAddress: String?
    private var countedAsSignedIn = false
    private var authDeadline: Scheduled<Void>?
    /// The sign-in time ran out while a request (an AUTH, say) was in flight: decided when it ends.
    private var authExpired = false
    private var session: SessionState?
    /// Lines received and not yet answered.
    private var pending: [ByteBuffer] = []
    /// What to do, decided without sockets (ConsoleConnectionStateMachine.swift, tested alone).
    private var state = ConsoleConnectionStateMachine()

    init(
        configuration: ConsoleServer.Configuration, environment: ConsoleEnvironment, dispatcher: ConsoleDispatcher,
        logger: Logger, requests: AsyncStream<AwaitedRequests>.Continuation
    ) {
        self.configuration = configuration
        self.environment = environment
        self.dispatcher = dispatcher
        self.logger = logger
        self.requests = requests
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    /// Counts the connection, then greets it, or refuses it when over the limit.
    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        let ip = context.channel.remoteAddress?.ipAddress
        let refusal = environment.admission.withLockedValue {
            $0.admit(address: ip, limits: configuration)
        }
        if let refusal {
            let message =
                switch refusal {
                case .full(let n): "the server has \(n) connections; try later"
                case .preAuthenticationFull:
                    "too many connections have not signed in; the rest are kept for signed-in sessions; try later"
                case .perAddress(let n): "\(n) connections from your address already; close some first"
                }
            if state.closeRequested() {
                finish(context, ByteBuffer(string: ConsoleReply.error(421, "TOO_MANY_CONNECTIONS", message).text(tag: nil)))
            }
            return
        }
        counted = true
        countedAddress = ip
        session = SessionState(remoteAddress: ip ?? "unix")
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "220 lunzhi \(environment.version) ready\r\n")))
            .whenFailure { _ in }
        // Sign in within authTimeout, or be closed: an unauthenticated connection holds a place.
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let seconds = configuration.authTimeout.nanoseconds / 1_000_000_000
        authDeadline = context.eventLoop.scheduleTask(in: configuration.authTimeout) {
            let (handler, context) = bound.value
            handler.noteSignIn()
            guard !handler.countedAsSignedIn, !handler.state.closing else { return }
            handler.authExpired = true
            // A sign-in under way (bcrypt, a slow database) is let finish, then judged.
            if !handler.state.awaiting, handler.state.closeRequested() { handler.closeForAuthTimeout(context) }
        }
        authTimeoutSeconds = seconds
    }

    private var authTimeoutSeconds: Int64 = 0

    private func closeForAuthTimeout(_ context: ChannelHandlerContext) {
        finish(context, authTimeoutNotice())
    }

    private func authTimeoutNotice() -> ByteBuffer {
        ByteBuffer(
            string: ConsoleReply.error(421, "AUTH_TIMEOUT", "not signed in within \(authTimeoutSeconds) s; closing").text(
                tag: nil))
    }

    /// Moves a connection that has signed in out of the pre-authentication share (once).
    private func noteSignIn() {
        guard counted, !countedAsSignedIn, session?.principal != nil else { return }
        countedAsSignedIn = true
        authDeadline?.cancel()
        environment.admission.withLockedValue { $0.signedIn() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        end()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        end()
    }

    private func end() {
        authDeadline?.cancel()
        if counted {
            counted = false
            let (address, signedIn) = (countedAddress, countedAsSignedIn)
            environment.admission.withLockedValue { $0.release(address: address, signedIn: signedIn) }
        }
        requests.finish()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state.linesArrived() {
        case .drop: return
        case .keep: pending.append(contentsOf: unwrapInboundIn(data))
        case .answer:
            pending.append(contentsOf: unwrapInboundIn(data))
            answer(context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is ByteToMessageDecoderError.PayloadTooLargeError {
            if state.lineOverLimit() == .answer { answer(context) }
            return
        }
        logger.debug("connection ended", metadata: ["remote": "\(session?.remoteAddress ?? "-")", "error": "\(error)"])
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ConsoleShutdownEvent {
            if state.shutdownRequested() == .closeNow {
                pending.removeAll()
                finish(context, Self.shuttingDown())
            }
            return
        }
        if let event = event as? ChannelEvent, event == .inputClosed {
            if state.inputEnded() == .answer { answer(context) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func read(context: ChannelHandlerContext) {
        // Nothing more is read from a client whose replies are piling up unread: what the server
        // buffers for it stays near the channel's write watermark (StalledReaderHandler closes it
        // if it never reads), and the event loop does not spend itself answering it.
        if state.readRequested(writable: context.channel.isWritable) == .read { context.read() }
    }

    /// How many lines one turn of the event loop answers at most. A client that pipelines
    /// thousands of immediate requests (HELP) in one read would otherwise hold the loop, and every
    /// other connection on it, until all were answered: seconds in a debug build, where the
    /// console's tests saw other servers on the same loop miss their greetings.
    static let linesPerTurn = 128

    /// Answers the pending lines in order until one must be awaited, or `linesPerTurn` have been
    /// answered (the rest on a later turn of the event loop, reads held until then).
    private func answer(_ context: ChannelHandlerContext) {
        guard let session, !state.closing else { return }
        var replies = context.channel.allocator.buffer(capacity: 64)
        var index = 0
        while index < pending.count {
            if index == Self.linesPerTurn {
                pending.removeFirst(index)
                if replies.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(replies), promise: nil) }
                continueLater(context)
                return
            }
            let line = pending[index]
            index += 1
            // The decoder's buffer limit only applies while a line is incomplete; a long line
            // that arrived whole is caught here.
            guard line.readableBytes <= configuration.maximumLineLength else {
                _ = state.lineOverLimit()
                break
            }
            switch dispatcher.handleImmediately(Array(line.readableBytesView), session: session) {
            case .answered(let reply, let tag):
                reply.write(to: &replies, tag: tag, json: session.json)
                if reply.closeAfter, state.closeRequested() {
                    finish(context, replies)
                    return
                }
            case .pending(let command, let invocation, let tag):
                let rest = Array(pending[index...])
                pending.removeAll(keepingCapacity: true)
                if replies.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(replies), promise: nil) }
                state.awaitStarted()
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                let eventLoop = context.eventLoop
                requests.yield(
                    AwaitedRequests(command: command, invocation: invocation, tag: tag, rest: rest) { replies in
                        if eventLoop.inEventLoop {
                            bound.value.0.resume(bound.value.1, with: replies)
                        } else {
                            eventLoop.execute { bound.value.0.resume(bound.value.1, with: replies) }
                        }
                    })
                return
            }
        }
        pending.removeAll(keepingCapacity: true)
        switch state.batchAnswered(writable: context.channel.isWritable) {
        case .finish(let lineTooLong):
            finish(context, replies, lineTooLong: lineTooLong)
        case .flush(let readAgain):
            if replies.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(replies), promise: nil) }
            if readAgain { context.read() }
        }
    }

    /// Answers the rest of the pending lines on the event loop's next turn, or once the client has
    /// read what was written if the channel is full.
    private func continueLater(_ context: ChannelHandlerContext) {
        guard state.turnLimitReached(writable: context.channel.isWritable) == .nextTurn else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = bound.value
            if handler.state.nextTurnArrived() == .answer { handler.answer(context) }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        switch state.writabilityChanged(writable: context.channel.isWritable) {
        case .answer: answer(context)
        case .read: context.read()
        case .nothing: break
        }
        context.fireChannelWritabilityChanged()
    }

    /// Back on the event loop after the connection's task ran awaited requests.
    private func resume(_ context: ChannelHandlerContext, with replies: AwaitedReplies) {
        noteSignIn()
        let expired = authExpired && !countedAsSignedIn
        switch state.resumed(close: replies.close, lineTooLong: replies.lineTooLong, authExpired: expired) {
        case .drop:
            return
        case .finish(let lineTooLong, let notice):
            var last = replies.buffer
            switch notice {
            case .authTimeout: last.writeImmutableBuffer(authTimeoutNotice())
            case .shuttingDown: last.writeImmutableBuffer(Self.shuttingDown())
            case nil: break
            }
            finish(context, last, lineTooLong: lineTooLong)
        case .writeAndAnswer:
            if replies.buffer.readableBytes > 0 { context.write(wrapOutboundOut(replies.buffer), promise: nil) }
            answer(context)
            context.flush()
        }
    }

    static func shuttingDown() -> ByteBuffer {
        ByteBuffer(
            string: ConsoleReply.error(421, "SHUTTING_DOWN", "the server is shutting down; reconnect shortly").text(
                tag: nil))
    }

    /// Writes the last replies (and a 413 for a line over the limit), then closes. The state
    /// machine has already marked the connection closing.
    private func finish(_ context: ChannelHandlerContext, _ replies: ByteBuffer, lineTooLong: Bool = false) {
        pending.removeAll()
        var last = replies
        if lineTooLong {
            last.writeString(
                ConsoleReply.error(
                    413, "LINE_TOO_LONG", "a request line may have at most \(configuration.maximumLineLength) bytes"
                ).text(tag: nil))
        }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(last)).whenComplete { _ in bound.value.close(promise: nil) }
    }
}

extension ConsoleReply {
    /// Appends the reply, in JSON or text mode, to a connection's output.
    func write(to buffer: inout ByteBuffer, tag: String?, json: Bool) {
        if json {
            buffer.writeString(self.json(tag: tag))
        } else {
            writeText(tag: tag) { buffer.writeString($0) }
        }
    }
}

/// Runs a task's jobs on one event loop (`withTaskExecutorPreference`), so a connection's task
/// and its channel share a thread.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
