/// The logic of one console connection, without sockets: what the handler should do when lines
/// arrive, when NIO asks to read, when the connection's task hands back replies, when the channel
/// becomes writable again, when the client shuts down its side or the server shuts down. A value
/// that returns actions (postgres-nio's ConnectionStateMachine is the model); the handler
/// (`ConsoleConnectionHandler`) carries them out on the channel and owns the lines and replies.
struct ConsoleConnectionStateMachine: Sendable {
    /// When lines left over from a turn that answered `linesPerTurn` are answered.
    enum Continuation: Equatable, Sendable {
        /// On the event loop's next turn.
        case nextTurn
        /// Once the client has read: the replies already written fill the channel's buffer.
        case whenWritable
    }

    /// The connection's task is running requests: answer nothing, read nothing, until it is done.
    private(set) var awaiting = false
    private(set) var continuation: Continuation?
    /// A read was asked for while lines were held or the channel was full; passed on later.
    private(set) var readHeld = false
    /// The decoder met a line over the limit after the pending lines: answer those, then 413.
    private(set) var lineTooLong = false
    /// The client has sent its last byte: answer what it sent, then close.
    private(set) var inputClosed = false
    /// The last replies are written; the connection closes.
    private(set) var closing = false
    /// The server shuts down: the request in flight is answered, then 421 SHUTTING_DOWN.
    private(set) var draining = false

    /// Lines wait for the connection's task or for a later turn: none is answered now.
    var holdingLines: Bool { awaiting || continuation != nil }

    // MARK: - Events

    enum LinesAction: Equatable, Sendable {
        /// Answer the pending lines now.
        case answer
        /// Keep them: they are answered when what holds them ends.
        case keep
        /// Drop them: the connection is closing or draining.
        case drop
    }

    /// Whole lines arrived from the decoder.
    func linesArrived() -> LinesAction {
        if closing || draining { return .drop }
        return holdingLines ? .keep : .answer
    }

    /// The decoder refused a line over the limit: the lines before it are answered, then 413.
    mutating func lineOverLimit() -> LinesAction {
        lineTooLong = true
        return holdingLines ? .keep : .answer
    }

    /// The client shut down its sending side.
    mutating func inputEnded() -> LinesAction {
        inputClosed = true
        return holdingLines ? .keep : .answer
    }

    enum ReadAction: Equatable, Sendable { case read, hold }

    /// NIO asks to read more. Nothing more is read from a client whose replies pile up unread,
    /// or while lines are held.
    mutating func readRequested(writable: Bool) -> ReadAction {
        if holdingLines || closing || !writable {
            readHeld = true
            return .hold
        }
        return .read
    }

    /// `linesPerTurn` lines were answered in this turn and more wait: when to go on.
    mutating func turnLimitReached(writable: Bool) -> Continuation {
        let next: Continuation = writable ? .nextTurn : .whenWritable
        continuation = next
        return next
    }

    /// The next turn came (`.nextTurn`): answer the rest.
    mutating func nextTurnArrived() -> LinesAction {
        continuation = nil
        return closing ? .drop : .answer
    }

    /// A request that needs the database went to the connection's task.
    mutating func awaitStarted() { awaiting = true }

    enum BatchEnd: Equatable, Sendable {
        /// Write the replies, then close (after a 413 when `lineTooLong`).
        case finish(lineTooLong: Bool)
        /// Write the replies; pass on a held read when `readAgain`.
        case flush(readAgain: Bool)
    }

    /// Every pending line was answered on the event loop.
    mutating func batchAnswered(writable: Bool) -> BatchEnd {
        if lineTooLong || inputClosed {
            closing = true
            return .finish(lineTooLong: lineTooLong)
        }
        return .flush(readAgain: takeHeldRead(writable: writable))
    }

    enum WritableAction: Equatable, Sendable { case answer, read, nothing }

    /// The channel's writability changed.
    mutating func writabilityChanged(writable: Bool) -> WritableAction {
        guard writable else { return .nothing }
        if continuation == .whenWritable {
            continuation = nil
            return .answer
        }
        return takeHeldRead(writable: writable) ? .read : .nothing
    }

    enum ResumeAction: Equatable, Sendable {
        /// The connection is closing already: drop the replies.
        case drop
        /// Write the replies, then close, with what to add after them.
        case finish(lineTooLong: Bool, closing: ClosingNotice?)
        /// Write the replies and answer any lines that arrived meanwhile.
        case writeAndAnswer
    }

    /// Why the server closes after the last replies, said in a 421.
    enum ClosingNotice: Equatable, Sendable { case authTimeout, shuttingDown }

    /// The connection's task handed back the replies of the awaited requests. `authExpired`: the
    /// sign-in time ran out meanwhile and the connection is still not signed in.
    mutating func resumed(close: Bool, lineTooLong: Bool, authExpired: Bool) -> ResumeAction {
        awaiting = false
        if authExpired && !closing {
            closing = true
            return .finish(lineTooLong: false, closing: .authTimeout)
        }
        if closing { return .drop }
        if close || lineTooLong {
            closing = true
            return .finish(lineTooLong: lineTooLong, closing: nil)
        }
        if draining {
            closing = true
            return .finish(lineTooLong: false, closing: .shuttingDown)
        }
        return .writeAndAnswer
    }

    enum ShutdownAction: Equatable, Sendable {
        /// Nothing in flight: say 421 SHUTTING_DOWN and close now.
        case closeNow
        /// A request is in flight: it is answered first (`resumed` says when).
        case afterInFlight
        case nothing
    }

    /// The server shuts down gracefully (quiescing).
    mutating func shutdownRequested() -> ShutdownAction {
        draining = true
        if closing { return .nothing }
        if awaiting { return .afterInFlight }
        closing = true
        return .closeNow
    }

    /// The handler closes the connection for a reason of its own (a QUIT, the sign-in timeout).
    mutating func closeRequested() -> Bool {
        guard !closing else { return false }
        closing = true
        return true
    }

    /// A held read is passed on once nothing holds it.
    private mutating func takeHeldRead(writable: Bool) -> Bool {
        guard readHeld, !holdingLines, !closing, writable else { return false }
        readHeld = false
        return true
    }

    /// Whether a read held earlier can be passed on now.
    mutating func heldReadReleased(writable: Bool) -> Bool { takeHeldRead(writable: writable) }
}
