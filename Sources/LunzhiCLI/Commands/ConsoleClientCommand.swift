import ArgumentParser
import Foundation
import LunzhiConsole

/// `lunzhi console`: the console's client. Interactive on a terminal, one-shot with -c, or reads
/// commands from standard input when piped. The secret comes from LUNZHI_SECRET or a prompt.
struct ConsoleClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Connect to the console server.",
        discussion:
            "Exit status: 0 when every reply was 2xx, 1 when one was 4xx, 2 when one was 5xx or the connection failed."
    )

    @Option(help: "Server host.") var host: String = "127.0.0.1"
    @Option(help: "Server port.") var port: Int = 7707
    @Option(help: "Connect to the server's Unix socket instead of TCP.") var socket: String?
    @Flag(help: "Use TLS (the server's --tls-cert).") var tls = false
    @Option(help: "With --tls: the CA that issued the server's certificate (default: the system's).") var ca: String?
    @Option(help: "With --tls: a client certificate (PEM), for servers that require one.") var cert: String?
    @Option(help: "With --tls: the client certificate's key (PEM).") var key: String?
    @Option(help: "Sign in as this principal (secret from LUNZHI_SECRET or a prompt).") var user: String?
    @Option(name: .short, help: "Run this command (repeatable) and exit.") var command: [String] = []
    @Flag(help: "JSON replies (FORMAT json).") var json = false

    func connect<T: Sendable>(_ body: (ConsoleClient) async throws -> T) async throws -> T {
        if let socket { return try await ConsoleClient.with(unixSocketPath: socket, body) }
        guard (cert == nil) == (key == nil) else { throw ValidationError("--cert and --key go together") }
        let context = tls ? try ConsoleTLS.clientContext(ca: ca, certificate: cert, key: key) : nil
        return try await ConsoleClient.with(host: host, port: port, tls: context, body)
    }

    func run() async throws {
        var worst = 0
        func note(_ code: Int) { worst = max(worst, code >= 500 || code == 0 ? 2 : code >= 400 ? 1 : 0) }
        let interactive = command.isEmpty && isatty(STDIN_FILENO) != 0
        do {
            try await connect { client in
                if interactive { print(client.greeting) }
                if json {
                    let reply = try await client.request("FORMAT json")
                    note(reply.code)
                }
                if let user {
                    let secret = try Self.secret(for: user)
                    let reply = try await client.request("AUTH \(Self.quote(user)) \(Self.quote(secret))")
                    note(reply.code)
                    if reply.code >= 400 {
                        Self.printReply(reply)
                        return
                    }
                    if interactive { Self.printReply(reply) }
                }
                if !command.isEmpty {
                    for line in command {
                        let reply = try await client.request(line)
                        Self.printReply(reply)
                        note(reply.code)
                    }
                    return
                }
                let editor = interactive ? LineEditor() : nil
                defer { editor?.saveHistory() }
                while true {
                    guard let line = editor.map({ $0.read(prompt: "lunzhi> ") }) ?? readLine(strippingNewline: true)
                    else { break }
                    if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                    let reply = try await client.request(line)
                    Self.printReply(reply)
                    note(reply.code)
                    if reply.code == 221 || reply.code == 421 || reply.code == 413 { break }
                }
            }
        } catch {
            FileHandle.standardError.write(Data("error: cannot talk to \(host):\(port): \(error)\n".utf8))
            throw ExitCode(2)
        }
        if worst != 0 { throw ExitCode(Int32(worst)) }
    }

    static func printReply(_ reply: ConsoleClientReply) {
        for line in reply.raw { print(line) }
    }

    static func secret(for user: String) throws -> String {
        if let secret = ProcessInfo.processInfo.environment["LUNZHI_SECRET"], !secret.isEmpty { return secret }
        guard let entered = getpass("secret for \(user): ") else { throw ValidationError("no secret given") }
        return String(cString: entered)
    }

    static func quote(_ word: String) -> String {
        "\"" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
