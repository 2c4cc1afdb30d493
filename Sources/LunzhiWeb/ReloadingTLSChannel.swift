import HummingbirdCore
import Logging
public import LunzhiOperations
import NIOCore
import NIOSSL

/// HTTPS whose certificate can be replaced while the server runs: each new connection takes the
/// context `ServerTLS` holds now (SIGHUP reloads it, as the console's); open connections keep theirs.
struct ReloadingTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let tls: ServerTLS

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 over TLS from `tls`, reloadable.
    static func reloadingTLS(_ tls: ServerTLS) -> HTTPServerBuilder {
        .init { responder in ReloadingTLSChannel(base: HTTP1Channel(responder: responder), tls: tls) }
    }
}
