import Foundation
import Metrics
import Prometheus

/// `/metrics`: every `rtd_` metric of the server in Prometheus' text format. Counters updated
/// as things happen (packets, keyframes, encode and detection time) go through swift-metrics;
/// totals that components already keep (frames dropped per stage, frames detected) are turned into counter
/// increments when scraped.
public actor ServerMetrics {
    private let registry: PrometheusCollectorRegistry
    private var lastTotals: [String: Int] = [:]

    /// Makes Prometheus the process's metrics backend (once per process).
    public static func bootstrap() -> ServerMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Encode and detection times are milliseconds; the default buckets reach 10 s.
        factory.defaultDurationHistogramBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1]
            .map { Duration.microseconds(Int64($0 * 1_000_000)) }
        MetricsSystem.bootstrap(factory)
        return ServerMetrics(registry: registry)
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    public func render(hub: CameraHub) -> [UInt8] {
        for camera in hub.cameras {
            let name = camera.name
            sample("rtd_frames_dropped_total", [("camera", name), ("stage", "capture")], total: camera.capture.droppedFrames)
            sample("rtd_frames_dropped_total", [("camera", name), ("stage", "detect")], total: camera.detector.droppedFrames)
            sample("rtd_frames_dropped_total", [("camera", name), ("stage", "encode")],
                   total: camera.activeTracks.reduce(0) { $0 + $1.droppedFrames })
            sample("rtd_frames_detected_total", [("camera", name)], total: camera.detector.framesProcessed)
            Gauge(label: "rtd_camera_streaming", dimensions: [("camera", name)]).record(camera.capture.isStreaming ? 1 : 0)
            Gauge(label: "rtd_ws_viewers", dimensions: [("camera", name)]).record(camera.webSocketViewers)
        }
        return registry.emitToBuffer()
    }

    private func sample(_ label: String, _ dimensions: [(String, String)], total: Int) {
        let key = label + dimensions.map { "/\($0.1)" }.joined()
        let delta = total - (lastTotals[key] ?? 0)
        lastTotals[key] = total
        // Registered even at zero so the series exists from the first scrape.
        Counter(label: label, dimensions: dimensions).increment(by: max(0, delta))
    }
}
