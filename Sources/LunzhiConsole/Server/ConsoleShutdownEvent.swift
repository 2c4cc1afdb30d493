/// Sent to every open connection when the server shuts down gracefully (quiescing): the request
/// in flight is answered, then `421 SHUTTING_DOWN` and the connection closes.
struct ConsoleShutdownEvent: Sendable {}
