/// Every console command, in the order HELP lists them. docs/console.md documents the same set
/// (a test keeps the two in sync).
enum CommandTable {
    static let commands: [ConsoleCommand] =
        SessionCommands.all + MechanismCommands.all + WorkflowCommands.items + WorkflowCommands.consultations
        + WorkflowCommands.approvals + WorkflowCommands.projects + ReminderCommands.all + AuditCommands.all

    private static let byName: [String: ConsoleCommand] = Dictionary(
        uniqueKeysWithValues: commands.map { ($0.name, $0) })

    /// The command named by the first one or two words (two-word names win), and how many words
    /// the name used.
    static func find(_ words: [String]) -> (ConsoleCommand, Int)? {
        guard let first = words.first?.uppercased() else { return nil }
        if words.count >= 2, let command = byName[first + " " + words[1].uppercased()] { return (command, 2) }
        if let command = byName[first] { return (command, 1) }
        return nil
    }
}
