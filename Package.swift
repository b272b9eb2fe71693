// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "rtd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rtd", targets: ["rtd"]),
        .library(name: "RTDKit", targets: ["RTDKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // libavformat/libavcodec/libswscale, called directly from Swift; shim.h only re-exposes
        // the error macros Swift cannot import.
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg"),
        // V4L2: ioctl is variadic and the request codes are function-like macros, so a tiny C shim.
        .target(name: "CV4L2", path: "Sources/CV4L2"),
        .target(
            name: "RTDKit",
            dependencies: [
                "CFFmpeg", "CV4L2",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/RTDKit"
        ),
        .executableTarget(
            name: "rtd",
            dependencies: [
                "RTDKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/rtd"
        ),
        .testTarget(name: "RTDKitTests", dependencies: ["RTDKit"], path: "Tests/RTDKitTests"),
    ],
    swiftLanguageModes: [.v6]
)
