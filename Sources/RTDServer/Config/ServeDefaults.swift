import Foundation
import RTDMedia

extension ServeConfig {
    /// `--camera NAME=SOURCE` flags: a name the file has gets the new source and keeps its other
    /// settings; a new name adds a camera.
    public mutating func applyCameraFlags(_ flags: [String]) throws(MediaError) {
        var given = Set<String>()
        for flag in flags {
            let parts = flag.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw MediaError(.badInput, "--camera '\(flag)' must be NAME=SOURCE, e.g. cam0=testsrc")
            }
            guard CameraConfig.validName(parts[0]) else {
                throw MediaError(.badInput, "camera name '\(parts[0])' may use only letters, digits, - and _ (at most 64)")
            }
            guard given.insert(parts[0]).inserted else { throw MediaError(.badInput, "camera '\(parts[0])' is given twice") }
            let source = try SourceSpec.parse(parts[1])
            if let i = cameras.firstIndex(where: { $0.name == parts[0] }) {
                cameras[i].source = source
            } else {
                cameras.append(CameraConfig(name: parts[0], source: source))
            }
        }
    }

    /// With no camera from the file or the flags: the first V4L2 camera there is, else the test pattern.
    public mutating func addDefaultCameraIfNone(devices: [CameraInfo] = CameraProbe.cameras()) {
        guard cameras.isEmpty else { return }
        let spec = devices.first { $0.error == nil }.flatMap { try? SourceSpec.parse($0.path) } ?? .testPattern(stamp: false)
        cameras.append(CameraConfig(name: "cam0", source: spec))
    }
}
