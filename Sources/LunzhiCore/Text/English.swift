/// The console's and the command line's English (the catalogue serves the web, reminders and
/// refusals' details in both languages).
public enum English {
    /// `1 event`, `2 events`, `0 events`.
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
    }
}
