// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Lunzhi",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lunzhi", targets: ["LunzhiCLI"]),
        .library(name: "PostgresLibPQ", targets: ["PostgresLibPQ"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C shim over Debian's libpq: a module map and a header, nothing else.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
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
        // The `lunzhi` command.
        .executableTarget(
            name: "LunzhiCLI",
            dependencies: [
                "PostgresLibPQ",
                "LunzhiMigrations",
                "LunzhiCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
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
            dependencies: ["LunzhiCore", "PostgresLibPQ", "LunzhiTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LunzhiMigrationsTests",
            dependencies: ["LunzhiMigrations", "PostgresLibPQ", "LunzhiTestSupport"],
            swiftSettings: strict
        ),
    ]
)
