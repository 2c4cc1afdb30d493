import LunzhiCore

/// One console command: its name (one or two words), usage, summary, the named arguments it
/// takes, and the handler. The handler parses arguments, calls LunzhiCore, and formats the reply;
/// rules live in LunzhiCore. A class: a request passes its command along several calls, and
/// copying the struct it was (strings, a set, two closures) cost 1% of PING's CPU in retains.
final class ConsoleCommand: Sendable {
    let name: String
    let usage: String
    let summary: String
    /// Accepted `key=` arguments; anything else is refused.
    let keys: Set<String>
    let requiresAuth: Bool
    let handler: @Sendable (CommandInvocation) async throws -> ConsoleReply
    /// Set for commands that need neither the database nor a wait (PING, HELP, FORMAT, QUIT): the
    /// connection answers them on its event loop without starting a task.
    let immediateHandler: (@Sendable (CommandInvocation) throws -> ConsoleReply)?
    let metrics: CommandMetrics

    convenience init(
        _ name: String, usage: String, summary: String, keys: Set<String> = [], requiresAuth: Bool = true,
        handler: @escaping @Sendable (CommandInvocation) async throws -> ConsoleReply
    ) {
        self.init(
            name: name, usage: usage, summary: summary, keys: keys, requiresAuth: requiresAuth, handler: handler,
            immediateHandler: nil)
    }

    /// A command answered at once, from the session and its arguments alone.
    static func immediate(
        _ name: String, usage: String, summary: String, keys: Set<String> = [], requiresAuth: Bool = true,
        handler: @escaping @Sendable (CommandInvocation) throws -> ConsoleReply
    ) -> ConsoleCommand {
        ConsoleCommand(
            name: name, usage: usage, summary: summary, keys: keys, requiresAuth: requiresAuth,
            handler: { try handler($0) }, immediateHandler: handler)
    }

    private init(
        name: String, usage: String, summary: String, keys: Set<String>, requiresAuth: Bool,
        handler: @escaping @Sendable (CommandInvocation) async throws -> ConsoleReply,
        immediateHandler: (@Sendable (CommandInvocation) throws -> ConsoleReply)?
    ) {
        self.name = name
        self.usage = usage
        self.summary = summary
        self.keys = keys
        self.requiresAuth = requiresAuth
        self.handler = handler
        self.immediateHandler = immediateHandler
        self.metrics = CommandMetrics(command: name)
    }
}
