@testable import LunzhiConsole
import NIOCore
import NIOEmbedded
import Testing

/// The console connection's logic without sockets (issue: one way to do each thing, item 6).
@Suite struct ConsoleConnectionStateMachineTests {
    @Test func pipelinedLinesAcrossTurnsHoldReadsUntilAnswered() {
        var m = ConsoleConnectionStateMachine()
        #expect(m.linesArrived() == .answer)
        // 128 answered in this turn, more waiting: go on at the next turn; reads held meanwhile.
        #expect(m.turnLimitReached(writable: true) == .nextTurn)
        #expect(m.linesArrived() == .keep)
        #expect(m.readRequested(writable: true) == .hold)
        #expect(m.nextTurnArrived() == .answer)
        #expect(m.batchAnswered(writable: true) == .flush(readAgain: true))
        #expect(m.readRequested(writable: true) == .read)
    }

    @Test func aRequestThatNeedsTheDatabaseHoldsEverythingBehindIt() {
        var m = ConsoleConnectionStateMachine()
        m.awaitStarted()
        #expect(m.linesArrived() == .keep)
        #expect(m.readRequested(writable: true) == .hold)
        #expect(m.resumed(close: false, lineTooLong: false, authExpired: false) == .writeAndAnswer)
        #expect(m.batchAnswered(writable: true) == .flush(readAgain: true))
    }

    @Test func aFullWriteBufferWaitsForTheClientToRead() {
        var m = ConsoleConnectionStateMachine()
        #expect(m.readRequested(writable: false) == .hold)
        #expect(m.turnLimitReached(writable: false) == .whenWritable)
        #expect(m.writabilityChanged(writable: false) == .nothing)
        #expect(m.writabilityChanged(writable: true) == .answer)
        #expect(m.batchAnswered(writable: true) == .flush(readAgain: true))
        // Not holding lines, only unread replies: writable again passes the held read on.
        #expect(m.readRequested(writable: false) == .hold)
        #expect(m.writabilityChanged(writable: true) == .read)
    }

    @Test func aLineOverTheLimitAnswersWhatCameBeforeThenCloses() {
        var m = ConsoleConnectionStateMachine()
        #expect(m.lineOverLimit() == .answer)
        #expect(m.batchAnswered(writable: true) == .finish(lineTooLong: true))
        #expect(m.linesArrived() == .drop)
        // Arriving while a request is awaited: decided when it returns.
        var n = ConsoleConnectionStateMachine()
        n.awaitStarted()
        #expect(n.lineOverLimit() == .keep)
        #expect(n.resumed(close: false, lineTooLong: false, authExpired: false) == .writeAndAnswer)
        #expect(n.batchAnswered(writable: true) == .finish(lineTooLong: true))
    }

    @Test func theClientShuttingDownItsSideGetsItsRepliesThenTheClose() {
        var m = ConsoleConnectionStateMachine()
        m.awaitStarted()
        #expect(m.inputEnded() == .keep)
        #expect(m.resumed(close: false, lineTooLong: false, authExpired: false) == .writeAndAnswer)
        #expect(m.batchAnswered(writable: true) == .finish(lineTooLong: false))
        #expect(m.closing)
    }

    @Test func shutdownAnswersTheRequestInFlightFirst() {
        var idle = ConsoleConnectionStateMachine()
        #expect(idle.shutdownRequested() == .closeNow)
        var busy = ConsoleConnectionStateMachine()
        busy.awaitStarted()
        #expect(busy.shutdownRequested() == .afterInFlight)
        #expect(busy.linesArrived() == .drop)
        #expect(
            busy.resumed(close: false, lineTooLong: false, authExpired: false)
                == .finish(lineTooLong: false, closing: .shuttingDown))
        #expect(busy.shutdownRequested() == .nothing)
    }

    @Test func aSignInThatRanOutOfTimeIsClosedWhenItReturns() {
        var m = ConsoleConnectionStateMachine()
        m.awaitStarted()
        #expect(
            m.resumed(close: false, lineTooLong: false, authExpired: true)
                == .finish(lineTooLong: false, closing: .authTimeout))
        let again = m.closeRequested()
        #expect(!again)
    }

    /// The idle timeout: a connection with no whole line for the timeout is told and closed.
    /// (NIO's IdleStateHandler measures with the real clock, so its event is sent here directly.)
    @Test func theIdleTimeoutSaysWhyAndCloses() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.pipeline.syncOperations.addHandler(IdleTimeoutHandler())
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.write)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.read)
        let said = try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }
        #expect(said?.hasPrefix("421 IDLE_TIMEOUT") == true)
        #expect(!channel.isActive)
    }

    /// The write timeout: a client that leaves the server's writes blocked is closed after it.
    @Test func theWriteTimeoutClosesAStalledReader() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(StalledReaderHandler(timeout: .seconds(3)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(channel.isActive)
        // Reading again in time cancels the close.
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(channel.isActive)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(!channel.isActive)
    }
}
