import LunzhiCore

/// What a handler gets: the session, the service, and the arguments after the command's name.
struct CommandInvocation: Sendable {
    let session: SessionState
    let environment: ConsoleEnvironment
    let arguments: Arguments

    var service: Cooperation { environment.service }

    /// The signed-in principal (commands that require auth only run when there is one).
    var principal: Int { session.principal! }
}
