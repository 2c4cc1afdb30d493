/// Every console command, in the order HELP lists them. docs/console.md documents the same set
/// (a test keeps the two in sync).
enum CommandTable {
    static let commands: [ConsoleCommand] =
        SessionCommands.all + MechanismCommands.all + WorkflowCommands.items + WorkflowCommands.consultations
        + WorkflowCommands.approvals + WorkflowCommands.projects + ReminderCommands.all + AuditCommands.all

    private static let byName: [String: ConsoleCommand] = Dictionary(
        uniqueKeysWithValues: commands.map { ($0.name, $0) })

    /// The command named by the first one or two words (two-word names win), and how many words
    /// the name used. Names are matched without regard to ASCII case; command names are ASCII,
    /// so a word with other letters names nothing (Unicode case mapping would let "ıtem", with
    /// a dotless i, stand for ITEM).
    static func find(_ words: [String]) -> (ConsoleCommand, Int)? {
        guard let first = words.first.map(asciiUppercased) else { return nil }
        if words.count >= 2, let command = byName[first + " " + asciiUppercased(words[1])] { return (command, 2) }
        if let command = byName[first] { return (command, 1) }
        return nil
    }

    /// `word` with a–z made A–Z and every other byte kept; the same string when there is nothing
    /// to change (the usual case: clients send names in upper case).
    static func asciiUppercased(_ word: String) -> String {
        guard word.utf8.contains(where: { $0 >= 0x61 && $0 <= 0x7A }) else { return word }
        return String(decoding: word.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
    }
}
