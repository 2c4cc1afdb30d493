import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// The `lunzhi` command: one executable, a subcommand per job.
@main
struct Lunzhi: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lunzhi",
        abstract: "Lunzhi (轮值): the rotating-chair cooperation mechanism service.",
        subcommands: [
            ServeCommand.self, RemindCommand.self, ConsoleClientCommand.self, MigrateCommand.self, UserCommand.self,
            AuditCommand.self, WitnessCommand.self, SettingsCommand.self, VersionCommand.self,
        ]
    )
}

extension Lunzhi {
    /// Adds the environment's and the config file's settings (docs/configuration.md), then runs.
    static func main() async {
        // Every command ignores SIGPIPE: a peer that goes away (a mail program that exits without
        // reading, a client that disconnects) is an error to handle where it happens (EPIPE), not a
        // reason for the process to die with exit 141 and leave work half done.
        signal(SIGPIPE, SIG_IGN)
        // Swift tasks run on NIO's event loops instead of a second pool of threads: no thread
        // switch between a connection's I/O and the task serving it (docs/performance.md).
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let environment = ProcessInfo.processInfo.environment
        let arguments: [String]
        do {
            arguments = try Setting.apply(to: Array(CommandLine.arguments.dropFirst()), environment: environment)
        } catch {
            FileHandle.standardError.write(Data("lunzhi: configuration: \(error)\n".utf8))
            Foundation.exit(78)  // EX_CONFIG
        }
        for name in Setting.unknownVariables(in: environment) {
            FileHandle.standardError.write(
                Data("lunzhi: warning: \(name) is not a Lunzhi setting (docs/configuration.md)\n".utf8))
        }
        await main(arguments)
    }
}
