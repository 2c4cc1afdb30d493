// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Lunzhi",
    // Linux only: the driver's poller uses epoll and names its threads with prctl (CLibPQ's
    // shim stops the build elsewhere with a message saying so); no Apple platform is claimed.
    products: [
        .executable(name: "lunzhi", targets: ["LunzhiCLI"]),
        .executable(name: "lunzhi-bench", targets: ["LunzhiBench"]),
        .executable(name: "lunzhi-audit-bench", targets: ["LunzhiAuditBench"]),
        .library(name: "PostgresLibPQ", targets: ["PostgresLibPQ"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // The web workspace. Default traits off: no swift-configuration, no full Foundation.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        // C shim over Debian's libpq: a module map and a header, nothing else.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Line editing and history for `lunzhi console` on a terminal (Debian's libedit).
        .systemLibrary(
            name: "CLibEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        // The database driver: Swift types only in its public API.
        .target(
            name: "PostgresLibPQ",
            dependencies: ["CLibPQ"],
            swiftSettings: strict
        ),
        // Ordered SQL migrations from SQL/ (the schema's source of truth), checksummed and locked.
        .target(
            name: "LunzhiMigrations",
            dependencies: ["PostgresLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict,
            plugins: ["EmbedMigrations"]
        ),
        .executableTarget(name: "EmbedMigrationsTool", path: "Sources/EmbedMigrationsTool"),
        .plugin(name: "EmbedMigrations", capability: .buildTool(), dependencies: ["EmbedMigrationsTool"]),
        // The cooperation mechanism: every rule, once. No networking.
        .target(
            name: "LunzhiCore",
            dependencies: ["PostgresLibPQ"],
            swiftSettings: strict
        ),
        // The admin console: the line protocol, its commands, the TCP server. Commands are thin:
        // parse arguments, call LunzhiCore, format the reply.
        .target(
            name: "LunzhiConsole",
            dependencies: [
                "LunzhiCore",
                "LunzhiAudit",
                "LunzhiOperations",
                "PostgresLibPQ",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The reminder daemon: the PostgreSQL queue, channels (file, e-mail via sendmail, webhooks), the service.
        .target(
            name: "LunzhiReminders",
            dependencies: [
                "LunzhiCore",
                "PostgresLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The decision history's proofs: the canonical encoding recomputed, chain verification,
        // the Merkle tree and its proofs, Ed25519-signed checkpoints (C2SP signed notes), witnesses
        // and their cosignatures (C2SP tlog-witness, tlog-cosignature), evidence exports.
        .target(
            name: "LunzhiAudit",
            dependencies: [
                "LunzhiCore", "PostgresLibPQ", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The web workspace (工作台): HTTP routes, sessions in PostgreSQL, pages rendered on the
        // server from the one catalogue (zh-CN, en). Routes are thin like console commands: read
        // the form, call LunzhiCore, render.
        .target(
            name: "LunzhiWeb",
            dependencies: [
                "LunzhiCore",
                "LunzhiAudit",
                "LunzhiOperations",
                "PostgresLibPQ",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Running it for real: health and readiness over HTTP, Prometheus metrics, systemd's notify protocol,
        // the servers' TLS certificates (reloaded on SIGHUP).
        .target(
            name: "LunzhiOperations",
            dependencies: [
                "PostgresLibPQ",
                "LunzhiMigrations",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The `lunzhi` command.
        .executableTarget(
            name: "LunzhiCLI",
            dependencies: [
                "PostgresLibPQ",
                "LunzhiMigrations",
                "LunzhiCore",
                "LunzhiConsole",
                "LunzhiReminders",
                "LunzhiAudit",
                "LunzhiOperations",
                "LunzhiWeb",
                "CLibEdit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The load generator of Benchmarks/run.sh (not part of the service).
        .executableTarget(
            name: "LunzhiBench",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        // The proof and witness timings of Benchmarks/audit.sh (not part of the service).
        .executableTarget(
            name: "LunzhiAuditBench",
            dependencies: [
                "LunzhiAudit", "PostgresLibPQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        // Shared by the test targets: a real database per test, private clusters, a controllable clock.
        .target(
            name: "LunzhiTestSupport",
            dependencies: ["PostgresLibPQ", "LunzhiMigrations", "LunzhiCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PostgresLibPQTests",
            dependencies: ["PostgresLibPQ", "LunzhiTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LunzhiCoreTests",
            dependencies: ["LunzhiCore", "PostgresLibPQ", "LunzhiTestSupport", "LunzhiMigrations"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LunzhiConsoleTests",
            dependencies: [
                "LunzhiConsole", "LunzhiCore", "LunzhiAudit", "LunzhiMigrations", "PostgresLibPQ", "LunzhiTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LunzhiRemindersTests",
            dependencies: ["LunzhiReminders", "LunzhiCore", "PostgresLibPQ", "LunzhiTestSupport", "LunzhiMigrations"],
            exclude: ["Support"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LunzhiAuditTests",
            dependencies: [
                "LunzhiAudit", "LunzhiCore", "LunzhiMigrations", "PostgresLibPQ", "LunzhiTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LunzhiOperationsTests",
            dependencies: [
                "LunzhiOperations", "LunzhiConsole", "LunzhiCore", "PostgresLibPQ", "LunzhiTestSupport",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LunzhiWebTests",
            dependencies: [
                "LunzhiWeb", "LunzhiCore", "LunzhiAudit", "PostgresLibPQ", "LunzhiTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LunzhiMigrationsTests",
            dependencies: ["LunzhiMigrations", "PostgresLibPQ", "LunzhiTestSupport"],
            swiftSettings: strict
        ),
    ]
)
