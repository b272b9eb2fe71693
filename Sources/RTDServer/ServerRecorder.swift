import Foundation
import Logging
import RTDCore
import RTDMedia
import RTDRecording

/// Recording in `rtd serve`: one CameraRecorder per recorded camera, fed by the camera's video
/// track (the bitstream viewers get) and its detector, plus retention for each recording folder.
public final class ServerRecorder: Sendable {
    private struct Recording: Sendable {
        let recorder: CameraRecorder
        let track: VideoTrack
        let trackSubscription: UInt64
        let detector: CameraDetector
        let detectorSubscription: UInt64
    }
    private let recordings: [Recording]
    private let retentions: [RecordingRetention]

    /// Starts recording each camera in `settings` (by name) with the given codec's track: H.264
    /// unless the server only offers VP8, so that the track recorded is one viewers use.
    public init(hub: CameraHub, settings: [String: RecordingSettings], codec: VideoCodec = .h264,
                logger: Logger) throws(MediaError) {
        var retentions: [String: RecordingRetention] = [:]
        var recordings: [Recording] = []
        do throws(MediaError) {
            for camera in hub.cameras {
                guard let s = settings[camera.name] else { continue }
                let retention = retentions[s.directory] ?? RecordingRetention(settings: s, logger: logger)
                retentions[s.directory] = retention
                let track = camera.track(for: codec)
                let recorder = try CameraRecorder(camera: camera.name, codec: codec, frameRate: camera.capture.frameRate,
                                                  settings: s, retention: retention,
                                                  requestKeyframe: { track.requestKeyframe() }, logger: logger)
                let t = track.subscribeEncoded { frame, size in recorder.encoded(frame, size: size) }
                let d = camera.detector.subscribe { record in recorder.detected(record) }
                recordings.append(Recording(recorder: recorder, track: track, trackSubscription: t,
                                            detector: camera.detector, detectorSubscription: d))
            }
        } catch {
            for r in recordings { Self.end(r) }
            throw error
        }
        self.recordings = recordings
        self.retentions = Array(retentions.values)
        for r in self.retentions {
            r.sweep()
            r.start()
        }
    }

    public var cameras: [String] { recordings.map(\.recorder.camera) }

    /// Stops recording: every open segment gets its trailer.
    public func stop() {
        for r in recordings { Self.end(r) }
        for r in retentions { r.stop() }
    }

    private static func end(_ r: Recording) {
        r.track.unsubscribeEncoded(r.trackSubscription)
        r.detector.unsubscribe(r.detectorSubscription)
        r.recorder.stop()
    }
}
