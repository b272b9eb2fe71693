// swift-tools-version:6.0
import PackageDescription

// `RTD_FUZZ=1` (scripts/fuzz) adds the libFuzzer executable and instruments RTDKit with libFuzzer's
// coverage and AddressSanitizer; normal builds and `swift test` never see either.
let fuzzing = Context.environment["RTD_FUZZ"] != nil
// -O: unspecialized generics in a -Onone build parse SDP at ~100 inputs/s.
let fuzzFlags: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address", "-O"])] : []

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
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // libavformat/libavcodec/libswscale, called directly from Swift; shim.h only re-exposes
        // the error macros Swift cannot import.
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg"),
        // V4L2: ioctl is variadic and the request codes are function-like macros, so a tiny C shim.
        .target(name: "CV4L2", path: "Sources/CV4L2"),
        // glibc's malloc_trim, which Swift's Glibc module does not export.
        .target(name: "CMalloc", path: "Sources/CMalloc"),
        // OpenSSL: HMAC/EVP for STUN integrity; X509 to explain a refused https:// certificate (DTLS
        // goes through CDTLS, https:// through AsyncHTTPClient).
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        // DTLS over OpenSSL 3 needs macros, callbacks and a custom BIO: a small C shim whose header
        // has no OpenSSL type.
        .target(name: "CDTLS", path: "Sources/CDTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        // libsrtp2, called directly from Swift.
        .systemLibrary(name: "CSRTP", path: "Sources/CSRTP"),
        // usrsctp through AF_CONN (our DTLS carries its packets): callbacks and sockaddr_conn need C.
        .target(name: "CUsrsctp", path: "Sources/CUsrsctp", linkerSettings: [.linkedLibrary("usrsctp")]),
        // OpenCV's API is C++: a small extern "C" shim; no OpenCV type crosses into Swift.
        .target(
            name: "COpenCVShim",
            path: "Sources/COpenCVShim",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4", "-std=c++17"])],
            linkerSettings: [
                .linkedLibrary("opencv_core"), .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_video"),
                .linkedLibrary("opencv_objdetect"), .linkedLibrary("opencv_dnn"),
            ]
        ),
        .target(
            name: "RTDKit",
            dependencies: [
                "CFFmpeg", "CV4L2", "CMalloc", "COpenSSL", "COpenCVShim", "CDTLS", "CSRTP", "CUsrsctp",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/RTDKit",
            swiftSettings: fuzzFlags
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

if fuzzing {
    // main.swift hands control to libFuzzer's driver (declared by CLibFuzzer).
    package.products.append(.executable(name: "rtd-fuzz", targets: ["RTDFuzz"]))
    package.targets.append(.target(name: "CLibFuzzer", path: "Sources/CLibFuzzer"))
    package.targets.append(.executableTarget(
        name: "RTDFuzz",
        dependencies: ["RTDKit", "CLibFuzzer"],
        path: "Sources/RTDFuzz",
        swiftSettings: fuzzFlags,
        linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]
    ))
}
