// swift-tools-version:6.1
import PackageDescription

// `RTD_FUZZ=1` (scripts/fuzz) adds the libFuzzer executable and instruments the library targets with libFuzzer's
// coverage and AddressSanitizer; normal builds and `swift test` never see either.
let fuzzing = Context.environment["RTD_FUZZ"] != nil
// -O: unspecialized generics in a -Onone build parse SDP at ~100 inputs/s.
let fuzzFlags: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address", "-O"])] : []

let package = Package(
    name: "rtd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rtd", targets: ["rtd"]),
        .library(name: "RTDWebRTC", targets: ["RTDWebRTC"]),
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
        .target(name: "CNet", path: "Sources/CNet"),
        // OpenSSL: HMAC/EVP for STUN integrity; X509 to explain a refused https:// certificate (DTLS
        // goes through CDTLS, https:// through AsyncHTTPClient).
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        // DTLS over OpenSSL 3 needs macros, callbacks and a custom BIO: a small C shim whose header
        // has no OpenSSL type.
        .target(name: "CDTLS", path: "Sources/CDTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        // libsrtp2, called directly from Swift, and its start-up with NSS held open (rtd_srtp.c).
        .target(name: "CSRTP", path: "Sources/CSRTP", cSettings: [.unsafeFlags(["-I/usr/include/nss", "-I/usr/include/nspr"])],
                linkerSettings: [.linkedLibrary("srtp2"), .linkedLibrary("nss3"), .linkedLibrary("crypto")]),
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
        // Layers, lowest first; each target sees only the ones below it, so the compiler keeps the walls.
        // Bounded JSON, the system clock, the JSON log handler, codec identities: what every layer shares.
        .target(
            name: "RTDCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Sources/RTDCore",
            swiftSettings: fuzzFlags
        ),
        // The WebRTC protocol stack (SDP, STUN/ICE, DTLS, SRTP, RTP/RTCP and its interceptors,
        // SCTP/data channels, PeerConnection): knows nothing of cameras, records, HTTP or servers.
        .target(
            name: "RTDWebRTC",
            dependencies: [
                "RTDCore", "COpenSSL", "CDTLS", "CSRTP", "CUsrsctp",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/RTDWebRTC",
            swiftSettings: fuzzFlags
        ),
        // Frames, sources (test pattern, files, RTSP, V4L2, Y4M), codecs (libav), the frame pipeline.
        .target(
            name: "RTDMedia",
            dependencies: ["RTDCore", "CFFmpeg", "CV4L2", .product(name: "Logging", package: "swift-log")],
            path: "Sources/RTDMedia",
            swiftSettings: fuzzFlags
        ),
        // Detectors (motion, HOG, Haar, YOLO through OpenCV), the tracker, detection records.
        .target(
            name: "RTDDetection",
            dependencies: ["RTDCore", "RTDMedia", "COpenCVShim", .product(name: "Logging", package: "swift-log")],
            path: "Sources/RTDDetection",
            swiftSettings: fuzzFlags
        ),
        // Recorded segments with their detection sidecars: writing, retention, reading, replay, export.
        .target(
            name: "RTDRecording",
            dependencies: [
                "RTDCore", "RTDMedia", "RTDDetection", "CFFmpeg", "COpenCVShim",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/RTDRecording",
            swiftSettings: fuzzFlags
        ),
        // `rtd serve`: cameras, encoders, HTTP/WebSocket/WHEP, the viewer page, metrics, config.
        .target(
            name: "RTDServer",
            dependencies: [
                "RTDCore", "RTDWebRTC", "RTDMedia", "RTDDetection", "RTDRecording", "CMalloc", "CNet",
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
            ],
            path: "Sources/RTDServer",
            // The viewer's HTML, CSS and JavaScript: compiled in by EmbedViewer, not sources of their own.
            exclude: ["Web/page"],
            swiftSettings: fuzzFlags,
            plugins: ["EmbedViewer"]
        ),
        // `rtd signal`: a receive-only WebRTC peer (signaling client, ICE agent, jitter buffer, decode).
        .target(
            name: "RTDClient",
            dependencies: [
                "RTDCore", "RTDWebRTC", "RTDMedia", "RTDDetection", "COpenSSL", "CFFmpeg",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/RTDClient",
            swiftSettings: fuzzFlags
        ),
        // Turns the files under a target's Web/page into Swift at build time (see Plugins/EmbedViewer).
        .executableTarget(name: "embed-viewer", path: "Plugins/EmbedViewerTool"),
        .plugin(name: "EmbedViewer", capability: .buildTool(), dependencies: ["embed-viewer"], path: "Plugins/EmbedViewer"),
        .executableTarget(
            name: "rtd",
            dependencies: [
                "RTDCore", "RTDMedia", "RTDDetection", "RTDRecording", "RTDServer", "RTDClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/rtd"
        ),
        // Temporary folders, seeded randomness, hostile inputs: shared by the test targets below.
        .target(name: "RTDTestSupport", path: "Tests/RTDTestSupport"),
        .testTarget(name: "RTDCoreTests", dependencies: ["RTDTestSupport", "RTDCore"], path: "Tests/RTDCoreTests"),
        .testTarget(name: "RTDWebRTCTests", dependencies: ["RTDTestSupport", "RTDWebRTC"], path: "Tests/RTDWebRTCTests"),
        .testTarget(name: "RTDMediaTests", dependencies: ["RTDTestSupport", "RTDMedia"], path: "Tests/RTDMediaTests"),
        .testTarget(name: "RTDDetectionTests", dependencies: ["RTDTestSupport", "RTDDetection"], path: "Tests/RTDDetectionTests"),
        .testTarget(name: "RTDRecordingTests", dependencies: ["RTDTestSupport", "RTDRecording"], path: "Tests/RTDRecordingTests"),
        .testTarget(name: "RTDServerTests", dependencies: ["RTDTestSupport", "RTDServer"], path: "Tests/RTDServerTests"),
        .testTarget(
            name: "RTDClientTests",
            dependencies: [
                "RTDTestSupport", "RTDClient",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/RTDClientTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)

if fuzzing {
    // main.swift hands control to libFuzzer's driver (declared by CLibFuzzer).
    package.products.append(.executable(name: "rtd-fuzz", targets: ["RTDFuzz"]))
    package.targets.append(.target(name: "CLibFuzzer", path: "Sources/CLibFuzzer"))
    package.targets.append(.executableTarget(
        name: "RTDFuzz",
        dependencies: ["RTDCore", "RTDWebRTC", "RTDMedia", "RTDServer", "RTDClient", "CLibFuzzer"],
        path: "Sources/RTDFuzz",
        swiftSettings: fuzzFlags,
        linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]
    ))
}
