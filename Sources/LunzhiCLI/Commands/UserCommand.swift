import ArgumentParser
import Foundation
import LunzhiCore
import PostgresLibPQ

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage principals directly in the database (for the first operator).",
        subcommands: [Add.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a principal and print its generated secret (shown once).",
            discussion: "Runs as the system, with the database credentials as authority; audited as 'system'."
        )

        @Argument(help: "The sign-in name: a–z first, then a–z, 0–9, '.', '_' or '-'.")
        var name: String

        @Option(help: "clerk, auditor or operator.")
        var role: String

        @Option(help: "For clerks: the member code (e.g. GS).")
        var member: String?

        @Option(help: "For clerks: the mechanism (default NW5).")
        var mechanism: String?

        @Option(name: .customLong("display-name"), help: "A readable name.")
        var displayName: String = ""

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            _ = try logging.bootstrap(label: "lunzhi.user")
            guard let role = Role(rawValue: role) else {
                throw ValidationError("role must be clerk, auditor or operator")
            }
            try await withService(database.configuration) { service in
                let created = try await service.addPrincipal(
                    by: nil, name: name, displayName: displayName, role: role, mechanism: mechanism, member: member)
                print("created principal \(name) (id \(created.id))")
                print("secret: \(created.secret)")
                print("(shown once; store it now)")
                if created.awaitingConfirmation {
                    print("awaiting confirmation: a clerk of \(member ?? "its member") must run USER CONFIRM \(name)")
                }
            }
        }
    }
}
