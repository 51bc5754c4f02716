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
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        .executableTarget(
            name: "tempo-batch",
            dependencies: [
                "BatchManifest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tempo-batch-bench",
            dependencies: ["BatchManifest"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BatchManifestTests",
            dependencies: ["BatchManifest"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TempoBatchCLITests",
            dependencies: ["tempo-batch"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
