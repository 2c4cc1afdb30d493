public import Foundation
public import LunzhiAudit
public import LunzhiCore
import NIOConcurrencyHelpers

/// One connection's state, used by one request at a time.
final class SessionState: @unchecked Sendable {
    // @unchecked: read and written by the connection's handler on its event loop, or by the
    // connection's task while the handler waits for it (ConsoleConnectionHandler.awaiting), never
    // both at once; the hand-overs (AsyncStream.yield, EventLoop.execute) order the accesses.
    var principal: Int?
    var principalName: String?
    var json = false
    let remoteAddress: String

    init(remoteAddress: String) { self.remoteAddress = remoteAddress }
}
