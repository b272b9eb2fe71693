import COpenCVShim
import Foundation
import RTDMedia

public struct HaarOptions: Sendable, Equatable {
    public static let defaultCascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

    /// Label for every detection; nil = derived from the cascade's file name (see `HaarDetector.label(forCascade:)`).
    public var label: String?
    /// Image pyramid step between scales.
    public var scaleFactor: Double = 1.1
    /// Raw hits that must agree before an object is reported; higher = fewer false positives.
    public var minNeighbors: Int = 5
    /// Smallest object side in pixels.
    public var minSize: Int = 30

    public init() {}
}

/// A Haar cascade (CascadeClassifier) on the Y plane. Score = n / (n + minNeighbors), where n is
/// the number of raw hits merged into the object (a cascade gives no probability).
public final class HaarDetector: Detector, @unchecked Sendable { // one detection thread at a time
    public let name = "haar"
    public let label: String
    public let cascadePath: String
    private let handle: OpaquePointer
    private let output = BoxList()

    public init(cascade: String = HaarOptions.defaultCascade, options: HaarOptions = HaarOptions()) throws {
        guard options.scaleFactor > 1, options.minNeighbors >= 0, options.minSize >= 0 else {
            throw DetectionError(.badSpec, "haar: scaleFactor must be above 1, minNeighbors and minSize non-negative")
        }
        guard FileManager.default.fileExists(atPath: cascade) else {
            throw DetectionError(.notFound, "haar: cascade file '\(cascade)' not found")
        }
        var params = rtd_haar_params(
            scale_factor: options.scaleFactor, min_neighbors: Int32(clamping: options.minNeighbors),
            min_size: Int32(clamping: options.minSize))
        let created = try OpenCVBridge.call(.badModel, "haar") { rtd_haar_create(cascade, &params, $0) }
        guard let created else { throw DetectionError(.badModel, "haar: cannot load '\(cascade)'") }
        handle = created
        cascadePath = cascade
        label = options.label ?? Self.label(forCascade: cascade)
    }

    deinit { rtd_haar_destroy(handle) }

    public func detect(_ frame: Frame) throws -> [Detection] {
        try OpenCVBridge.withImage(frame) { image in
            _ = try OpenCVBridge.call(.opencv, "haar, frame \(frame.index)") {
                rtd_haar_detect(handle, image, output.handle, $0)
            }
        }
        return output.detections { _ in label }
    }

    /// `haarcascade_frontalface_default.xml` → `face`: drop the directory, `.xml`, the
    /// `haarcascade_` prefix, a variant suffix (`_default`, `_alt`, `_alt2`, `_alt_tree`, `_extended`)
    /// and a leading `frontal`/`profile`.
    public static func label(forCascade path: String) -> String {
        var name = (path as NSString).lastPathComponent
        if name.lowercased().hasSuffix(".xml") { name.removeLast(4) }
        if name.hasPrefix("haarcascade_") { name.removeFirst("haarcascade_".count) }
        for suffix in ["_alt_tree", "_alt2", "_alt", "_default", "_extended"] where name.hasSuffix(suffix) {
            name.removeLast(suffix.count)
            break
        }
        for prefix in ["frontal", "profile"] where name.hasPrefix(prefix) && name.count > prefix.count {
            name.removeFirst(prefix.count)
            break
        }
        return name.isEmpty ? "object" : name
    }
}
