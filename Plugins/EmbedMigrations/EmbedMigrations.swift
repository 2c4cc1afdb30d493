import Foundation
import PackagePlugin

/// Compiles the package's SQL/*.sql into the target as Swift string literals, so the `lunzhi`
/// binary carries its schema and needs no resource files when installed.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "SQL")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
            .map { directory.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding SQL migrations from SQL/",
                executable: try context.tool(named: "EmbedMigrationsTool").url,
                // The tool lists the directory itself: a file added since the plugin last ran changes the
                // directory (an input), so the command runs again and sees it.
                arguments: [output.path, directory.path],
                inputFiles: [directory] + files,
                outputFiles: [output]
            )
        ]
    }
}
