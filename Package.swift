// swift-tools-version: 6.1
import PackageDescription

/// Targets are split by dependency (see DESIGN.md "Proposed layout"): Yams and swift-crypto live
/// only in `BatchManifest`, so the manifest language compiles and tests without any network stack.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "tempo-batch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tempo-batch", targets: ["tempo-batch"]),
        .executable(name: "tempo-batch-bench", targets: ["tempo-batch-bench"]),
        .library(name: "BatchManifest", targets: ["BatchManifest"]),
        .library(name: "TemPolorSimulator", targets: ["TemPolorSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .target(
            name: "BatchManifest",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TemPolorSimulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "BatchLedger",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // Writes ID3v2.4 (mp3, WAV `id3 ` chunk) and Vorbis comment (FLAC) tags; Foundation only.
        .target(name: "AudioTags", swiftSettings: strict),
        // The neutral seam every provider implements: submissions, item references, reports,
        // failure classes by what they mean for money, and the HTTP transport helpers they share.
        .target(
            name: "ProviderKit",
            dependencies: [
                "BatchManifest",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // One folder per provider: wire types, client, error mapping, status grouping, files, capabilities.
        .target(
            name: "TemPolorClient",
            dependencies: [
                "ProviderKit",
                "BatchManifest",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "UseAPIClient",
            dependencies: [
                "ProviderKit",
                "BatchManifest",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The one place where a provider is chosen, its credentials read and the embedded
        // simulator started; the command line and the end-to-end tests go through it.
        .target(
            name: "CallbackReceiver",
            dependencies: [
                "ProviderKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ProviderWiring",
            dependencies: [
                "CallbackReceiver",
                "BatchManifest",
                "BatchRunner",
                "ProviderKit",
                "TemPolorClient",
                "UseAPIClient",
                "TemPolorSimulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "BatchRunner",
            dependencies: [
                "BatchManifest",
                "BatchLedger",
                "AudioTags",
                "ProviderKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tempo-batch",
            dependencies: [
                "BatchManifest",
                "BatchRunner",
                "ProviderWiring",
                "TemPolorSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tempo-batch-bench",
            dependencies: [
                "BatchManifest", "BatchLedger", "BatchRunner", "ProviderKit", "ProviderWiring", "TemPolorSimulator",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "BatchManifestTests",
            dependencies: ["BatchManifest", "ProviderWiring"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TemPolorSimulatorTests",
            dependencies: [
                "TemPolorSimulator", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CallbackReceiverTests",
            dependencies: ["CallbackReceiver", "ProviderKit", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BatchLedgerTests",
            dependencies: ["BatchLedger"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AudioTagsTests",
            dependencies: ["AudioTags", "TestSupport", "TemPolorSimulator"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TemPolorClientTests",
            dependencies: ["TemPolorClient", "ProviderKit", "TemPolorSimulator", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "UseAPIClientTests",
            dependencies: [
                "UseAPIClient", "ProviderKit", "TemPolorSimulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BatchRunnerTests",
            dependencies: [
                "BatchRunner", "BatchLedger", "BatchManifest", "ProviderKit", "ProviderWiring", "TemPolorSimulator",
                "TemPolorClient", "UseAPIClient", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TempoBatchCLITests",
            dependencies: ["tempo-batch", "TestSupport", "BatchLedger", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
