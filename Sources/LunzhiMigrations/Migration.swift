public import Foundation

/// One schema change: a file `SQL/NNNN_name.sql`, applied once, in order, in its own transaction.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// The file name, `0001_extensions.sql`.
    public var fileName: String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name + ".sql"
    }

    /// Reads every `NNNN_name.sql` in a directory; refuses a malformed name or a repeated number.
    public static func load(directory: URL) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var files: [(name: String, sql: String)] = []
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(fileName).path),
                let sql = String(data: data, encoding: .utf8)
            else { throw MigrationError.unreadable(fileName) }
            files.append((fileName, sql))
        }
        return try make(files)
    }

    /// The migrations compiled into this build from SQL/, or, when `LUNZHI_MIGRATIONS_DIR` is set,
    /// the files in that directory.
    public static func bundled() throws -> [Migration] {
        if let override = ProcessInfo.processInfo.environment["LUNZHI_MIGRATIONS_DIR"], !override.isEmpty {
            return try load(directory: URL(fileURLWithPath: override))
        }
        return try make(EmbeddedMigrations.files)
    }

    static func make(_ files: [(name: String, sql: String)]) throws -> [Migration] {
        var migrations: [Migration] = []
        for (fileName, sql) in files {
            guard let (version, name) = parse(fileName: fileName) else { throw MigrationError.badFileName(fileName) }
            if let other = migrations.first(where: { $0.version == version }) {
                throw MigrationError.duplicateVersion(version, other.fileName, fileName)
            }
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        return migrations.sorted { $0.version < $1.version }
    }

    static func parse(fileName: String) -> (Int, String)? {
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard digits.count == 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let version = Int(digits),
            version > 0, !name.isEmpty,
            name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else { return nil }
        return (version, String(name))
    }
}
