/// Why migrations could not run. Each case names the file concerned.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file in SQL/ is not named `NNNN_lowercase_name.sql`.
    case badFileName(String)
    case unreadable(String)
    case duplicateVersion(Int, String, String)
    /// A file that was already applied has changed since (its checksum differs).
    case changedAfterApply(version: Int, fileName: String, applied: String, current: String)
    /// The database has a migration this build does not know (a newer build applied it).
    case unknownApplied(version: Int, name: String)

    public var description: String {
        switch self {
        case .badFileName(let name):
            "migration file \(name) is not named NNNN_lowercase_name.sql"
        case .unreadable(let name):
            "migration file \(name) cannot be read as UTF-8"
        case .duplicateVersion(let version, let a, let b):
            "migrations \(a) and \(b) share the number \(version)"
        case .changedAfterApply(let version, let fileName, let applied, let current):
            "migration \(fileName) (version \(version)) was changed after it was applied "
                + "(applied checksum \(applied.prefix(12))…, file now \(current.prefix(12))…); "
                + "add a new migration instead of editing an applied one"
        case .unknownApplied(let version, let name):
            "the database has migration \(version) (\(name)) that this build does not know; "
                + "run a build at least as new as the one that applied it"
        }
    }
}
