public import Hummingbird
public import NIOCore
public import LunzhiCore

/// What a request carries through the middleware: the peer's address and the session its
/// cookie names (nil: not signed in).
public struct WebContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var session: WebSession?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// A form larger than this is refused with 413 before it is read whole.
    public var maxUploadSize: Int { WebLimits.maximumBody }

    /// The peer as the sign-in throttle counts it.
    var peer: String { remoteAddress?.ipAddress ?? "unknown" }
}

enum WebLimits {
    /// 1 MiB: the largest form body.
    static let maximumBody = 1 << 20
}
