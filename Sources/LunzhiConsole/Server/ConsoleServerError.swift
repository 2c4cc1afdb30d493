public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
public import ServiceLifecycle

struct ConsoleServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
