import Foundation
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// The five-province flow in a real browser: Debian's chromium, driven by Playwright from PyPI
/// (Tests/Browser/walk.py), against a real `lunzhi serve` on its own database. The walk fails on
/// any console error, failed request, dialog, 5xx or serious accessibility violation; with
/// LUNZHI_SCREENSHOTS set it saves every page at desk and phone widths.
@Suite struct BrowserWalkTests {
    @Test(.timeLimit(.minutes(10))) func theFiveProvinceFlowInARealBrowser() async throws {
        try await TestDatabase.with { database in
            let pool = PostgresPool(configuration: database.configuration, options: .init(maximumConnections: 2))
            let service = Cooperation(pool: pool)
            let created = try await service.addPrincipal(by: nil, name: "operator", displayName: "运维值班", role: .operator)
            await pool.close()
            let webPort = try LoopbackPort.free()
            let log = temporaryPath("serve.log")
            let server = try BackgroundProcess(
                try lunzhiBinary(),
                [
                    "serve", "--listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:\(webPort)", "--metrics-listen", "off",
                    "--database-url", "dbname=\(database.name)",
                ], log: log)
            defer { server.stop(SIGTERM) }
            try await BackgroundProcess.waitForPort(webPort)
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../Browser/walk.py").standardized.path
            var arguments = [script, "--url", "http://127.0.0.1:\(webPort)", "--operator-secret", created.secret]
            if let shots = ProcessInfo.processInfo.environment["LUNZHI_SCREENSHOTS"] {
                try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
                arguments += ["--screenshots", shots]
            }
            let walk = try await BackgroundProcess.run("python3", arguments)
            #expect(walk.status == 0, "\(walk.output.suffix(6000))\nserver log:\n\((try? String(contentsOfFile: log, encoding: .utf8))?.suffix(3000) ?? "")")
        }
    }
}
