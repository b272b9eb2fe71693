import Foundation
import Testing
import RTDTestSupport
@testable import RTDMedia

/// Helpers shared by the detection tests: synthetic frames, images decoded by ffmpeg, and the
/// Python model builder.
enum DetectionTestSupport {
    struct ToolError: Error, CustomStringConvertible {
        let description: String
    }

    /// The package root (the nearest directory above this file holding Package.swift).
    static let packageRoot: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir.deleteLastPathComponent()
        }
        fatalError("no Package.swift above \(#filePath)")
    }()

    static func fixture(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures/\(name)").path
    }

    /// A frame whose luma comes from `luma(x, y)` and whose chroma is neutral grey.
    static func frame(width: Int, height: Int, index: Int = 0, luma: (Int, Int) -> UInt8) -> Frame {
        var data = [UInt8](repeating: 128, count: Frame.byteCount(width: width, height: height))
        for y in 0..<height {
            for x in 0..<width { data[y * width + x] = luma(x, y) }
        }
        return Frame(width: width, height: height, pts: Int64(index) * 33_333, capturedAt: 0, index: index, data: data)
    }

    static func greyFrame(width: Int, height: Int) -> Frame {
        frame(width: width, height: height) { _, _ in 128 }
    }

    /// Runs a program and returns its stdout; a non-zero exit throws with its stderr.
    static func run(_ executable: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting: a full pipe would otherwise block the child forever.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolError(description: "\(executable) \(arguments.joined(separator: " ")) exited with "
                + "\(process.terminationStatus): \(String(decoding: stderr, as: UTF8.self))")
        }
        return stdout
    }

    /// Decodes an image file to an I420 frame with ffmpeg (and ffprobe for its size).
    static func loadImage(_ path: String) throws -> Frame {
        let probe = try run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                        "stream=width,height", "-of", "csv=p=0", path])
        let size = String(decoding: probe, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: ",").compactMap { Int($0) }
        guard size.count == 2 else { throw ToolError(description: "ffprobe gave no size for \(path)") }
        let pixels = try run("ffmpeg", ["-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        guard pixels.count == Frame.byteCount(width: size[0], height: size[1]) else {
            throw ToolError(description: "ffmpeg gave \(pixels.count) bytes for a \(size[0])x\(size[1]) image")
        }
        return Frame(width: size[0], height: size[1], pts: 0, capturedAt: 0, index: 0, data: [UInt8](pixels))
    }

    /// The Python used to build test models: $RTD_PYTHON, else the project's test venv
    /// (scripts/test makes it, with onnx), else python3 from PATH.
    static var python: String {
        if let p = ProcessInfo.processInfo.environment["RTD_PYTHON"] { return p }
        let venv = packageRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }

    /// A fresh directory for one test's files.
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-detect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Builds a constant-output ONNX model with Tests/python/make_const_yolo.py (see its doc for `spec`).
    /// Fails, never skips, when the Python or its onnx package is missing.
    static func makeModel(_ spec: [String: Any], in dir: URL, name: String = "model.onnx") throws -> String {
        let path = dir.appendingPathComponent(name).path
        let json = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        let script = packageRoot.appendingPathComponent("Tests/python/make_const_yolo.py").path
        _ = try run(python, [script, path, json])
        return path
    }
}
