import Foundation

// Usage: EmbedMigrationsTool OUTPUT.swift SQL-DIRECTORY
// Writes `EmbeddedMigrations.files`: (file name, contents) pairs as raw string literals.
let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedMigrationsTool OUTPUT SQL-DIRECTORY\n".utf8))
    exit(2)
}
var swift = "// Generated from SQL/ by the EmbedMigrations plugin. Do not edit.\n"
swift += "enum EmbeddedMigrations {\n    static let files: [(name: String, sql: String)] = [\n"
let directory = URL(fileURLWithPath: arguments.dropFirst().first ?? "SQL")
let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
for name in names {
    let url = directory.appendingPathComponent(name)
    let text = try String(contentsOf: url, encoding: .utf8)
    // Enough '#' that no `"""#…` inside the file can end the literal.
    var hashes = "#"
    while text.contains("\"\"\"" + hashes) || text.contains("\"" + hashes) { hashes += "#" }
    swift += "        (\"\(url.lastPathComponent)\", \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)),\n"
}
swift += "    ]\n}\n"
try swift.write(to: URL(fileURLWithPath: output), atomically: true, encoding: .utf8)
