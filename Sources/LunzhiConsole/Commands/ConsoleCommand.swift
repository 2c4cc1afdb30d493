import LunzhiCore

/// One console command: its name (one or two words), usage, summary, the named arguments it
/// takes, and the handler. The handler parses arguments, calls LunzhiCore, and formats the reply;
/// rules live in LunzhiCore.
struct ConsoleCommand: Sendable {
    let name: String
    let usage: String
    let summary: String
    /// Accepted `key=` arguments; anything else is refused.
    let keys: Set<String>
    let requiresAuth: Bool
    let handler: @Sendable (CommandInvocation) async throws -> ConsoleReply

    init(
        _ name: String, usage: String, summary: String, keys: Set<String> = [], requiresAuth: Bool = true,
        handler: @escaping @Sendable (CommandInvocation) async throws -> ConsoleReply
    ) {
        self.name = name
        self.usage = usage
        self.summary = summary
        self.keys = keys
        self.requiresAuth = requiresAuth
        self.handler = handler
    }
}

/// What a handler gets: the session, the service, and the arguments after the command's name.
struct CommandInvocation: Sendable {
    let session: SessionState
    let environment: ConsoleEnvironment
    let arguments: Arguments

    var service: Cooperation { environment.service }

    /// The signed-in principal (commands that require auth only run when there is one).
    var principal: Int { session.principal! }
}
