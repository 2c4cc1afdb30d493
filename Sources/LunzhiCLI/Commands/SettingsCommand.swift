import ArgumentParser

/// `lunzhi settings`: every setting of serve and remind, one per line (docs/configuration.md).
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "List the settings of serve and remind: config key, environment variable, flag, commands.")

    func run() {
        for setting in Setting.all {
            print(
                "\(setting.key) \(setting.environmentName) \(setting.flag) \(setting.commands.sorted().joined(separator: ","))"
                    + " default=\(setting.defaultValue ?? "none")" + (setting.secret ? " secret" : ""))
        }
    }
}
