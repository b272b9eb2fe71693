import ArgumentParser
import Foundation
import RTDMedia

struct ProbeCamerasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-cameras",
        abstract: "List cameras with their formats, sizes and frame rates, or describe a file or stream.",
        discussion: """
        With no argument, asks every /dev/video* capture device (V4L2) for its name, driver, bus,
        capabilities, and for each pixel format the frame sizes and rates it offers. With a file
        or URL, reports its container, codec, size, frame rate and duration (via libavformat).
        Finding no camera is not an error.

        Examples:
          rtd probe-cameras
          rtd probe-cameras --json | jq '.cameras[].path'
          rtd probe-cameras rtsp://10.0.0.7/stream
        """)

    @Argument(help: "A file or URL to describe instead of listing cameras.")
    var source: String?

    @Flag(help: "Print JSON (schema in the README).")
    var json = false

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let source {
            do {
                let spec = try SourceSpec.parse(source)
                switch spec {
                case .file(let path) where !FileManager.default.fileExists(atPath: path):
                    throw MediaError(.notFound, "no such file: \(path)")
                case .file, .url: break
                default:
                    throw MediaError(.badInput, "probe-cameras describes files and URLs; '\(source)' is neither (run it with no argument to list cameras)")
                }
                let result = try MediaProbe.probe(spec.description)
                if json {
                    print(String(decoding: try encoder.encode(result), as: UTF8.self))
                } else {
                    print(Self.describe(result))
                }
            } catch let error as MediaError {
                throw fail("probe-cameras", error.message)
            }
            return
        }
        let cameras = CameraProbe.cameras()
        if json {
            struct Listing: Encodable { let cameras: [CameraInfo] }
            print(String(decoding: try encoder.encode(Listing(cameras: cameras)), as: UTF8.self))
            return
        }
        if cameras.isEmpty {
            print("""
                No cameras found: this machine has no V4L2 capture device (/dev/video*).
                Sources that work without one: testsrc, a video file, rtsp://... or http://...
                (rtd probe-cameras FILE|URL describes a file or stream).
                """)
            return
        }
        for cam in cameras {
            if let error = cam.error {
                print("\(cam.path): \(error)")
                continue
            }
            print("\(cam.path): \(cam.card) (driver \(cam.driver), bus \(cam.bus))")
            print("  capabilities: \(cam.capabilities.joined(separator: ", "))")
            for f in cam.formats {
                let sizes = f.sizes.map { s in
                    "\(s.width)x\(s.height)" + (s.fps.isEmpty ? "" : "@" + s.fps.map { String(format: "%g", $0) }.joined(separator: ","))
                }
                print("  \(f.fourcc.padding(toLength: 5, withPad: " ", startingAt: 0)) \(f.description): \(sizes.joined(separator: "  "))")
            }
        }
    }

    static func describe(_ r: MediaProbeResult) -> String {
        var lines = ["\(r.source): \(r.container)" + (r.durationSeconds.map { String(format: ", %.2f s", $0) } ?? "")
                     + (r.bitrate.map { ", \($0 / 1000) kbit/s" } ?? "")]
        for s in r.streams {
            var line = "  stream \(s.index): \(s.type) \(s.codec)"
            if let w = s.width, let h = s.height { line += " \(w)x\(h)" }
            if let fps = s.fps { line += String(format: " @ %g fps", fps) }
            if let n = s.frames { line += ", \(n) frames" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
