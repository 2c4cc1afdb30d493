import Foundation

/// A fresh path in the temporary directory (nothing is created there).
public func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("lunzhi-\(name)-\(UUID().uuidString.prefix(8))").path
}

/// The `lunzhi` binary under test (Deploy/test.sh sets `LUNZHI_TEST_BINARY`).
public func lunzhiBinary() throws -> String {
    guard let binary = ProcessInfo.processInfo.environment["LUNZHI_TEST_BINARY"] else {
        throw TestEnvironmentError(message: "LUNZHI_TEST_BINARY is not set (run Deploy/test.sh)")
    }
    return binary
}

extension BackgroundProcess {
    /// What a program run to completion left: its exit status and its output (stdout and stderr).
    public struct Completion: Sendable {
        public var status: Int32
        public var output: String
    }

    /// Runs a program to completion. Output goes to a file, not a pipe: a server the program
    /// starts (pg_ctl) could hold a pipe open forever.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil)
        async throws -> Completion
    {
        let log = temporaryPath("run.out")
        defer { try? FileManager.default.removeItem(atPath: log) }
        let status = try await BackgroundProcess(executable, arguments, environment: environment, log: log).exit()
        return Completion(status: status, output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
