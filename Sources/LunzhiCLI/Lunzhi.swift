import ArgumentParser

/// The `lunzhi` command: one executable, a subcommand per job.
@main
struct Lunzhi: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lunzhi",
        abstract: "Lunzhi (轮值): the rotating-chair cooperation mechanism service.",
        subcommands: [
            ServeCommand.self, RemindCommand.self, ConsoleClientCommand.self, MigrateCommand.self, UserCommand.self,
            AuditCommand.self,
            VersionCommand.self,
        ]
    )
}
