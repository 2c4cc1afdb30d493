import NIOCore

/// Closes a connection that sent nothing for the idle timeout, saying why.
final class IdleTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            let text = ConsoleReply.error(421, "IDLE_TIMEOUT", "no request for too long; closing").text(tag: nil)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(NIOAny(ByteBuffer(string: text))).whenComplete { _ in
                bound.value.close(promise: nil)
            }
            // A TLS client that never finished its handshake holds that write back forever: close anyway.
            context.eventLoop.scheduleTask(in: .seconds(1)) { bound.value.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
