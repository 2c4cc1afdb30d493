import CLibEdit
import Foundation

/// Line editing and history on a terminal, through libedit's readline interface. History is
/// kept in `~/.lunzhi_history` (AUTH lines are never recorded: they hold secrets).
final class LineEditor {
    private let historyPath: String

    init() {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSTemporaryDirectory()
        historyPath = home + "/.lunzhi_history"
        using_history()
        _ = read_history(historyPath)
    }

    /// The next line, or nil at end of input (Ctrl-D).
    func read(prompt: String) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        let line = String(cString: raw)
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, !trimmed.uppercased().hasPrefix("AUTH") { add_history(line) }
        return line
    }

    func saveHistory() {
        _ = write_history(historyPath)
        chmod(historyPath, 0o600)
    }
}
