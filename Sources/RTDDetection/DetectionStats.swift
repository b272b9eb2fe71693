import Foundation

/// Running totals over processed frames, for the summary `rtd detect` prints on stderr.
///
/// Inference times go into a log-linear histogram (values below 32 µs exact, then 32 buckets per
/// power of two), so memory stays constant however long the run and the p95 is within 1.6 %.
public struct DetectionStats: Sendable {
    public private(set) var frames = 0
    public private(set) var detections = 0
    public private(set) var detectionsByLabel: [String: Int] = [:]
    public private(set) var maxInferenceUs: Int64 = 0
    private var totalInferenceUs: Int64 = 0
    private var histogram: [Int] = []

    private static let subBuckets = 32

    public init() {}

    public mutating func add(_ record: DetectionRecord) {
        add(inferenceUs: record.inferenceUs, detections: record.detections)
    }

    public mutating func add(inferenceUs: Int64, detections found: [Detection]) {
        frames += 1
        detections += found.count
        for d in found { detectionsByLabel[d.label, default: 0] += 1 }
        let us = max(0, inferenceUs)
        totalInferenceUs += us
        maxInferenceUs = max(maxInferenceUs, us)
        let bucket = Self.bucket(of: us)
        if bucket >= histogram.count { histogram += [Int](repeating: 0, count: bucket - histogram.count + 1) }
        histogram[bucket] += 1
    }

    public var meanInferenceUs: Double { frames > 0 ? Double(totalInferenceUs) / Double(frames) : 0 }

    /// 95th percentile of inference time in µs (the middle of the bucket holding it), 0 when empty.
    public var p95InferenceUs: Double { percentile(0.95) }

    public func percentile(_ p: Double) -> Double {
        guard frames > 0 else { return 0 }
        let rank = max(1, Int((p * Double(frames)).rounded(.up)))
        var seen = 0
        for (bucket, count) in histogram.enumerated() {
            seen += count
            if seen >= rank {
                let (low, width) = Self.range(of: bucket)
                return min(Double(low) + Double(width - 1) / 2, Double(maxInferenceUs))
            }
        }
        return Double(maxInferenceUs)
    }

    /// One paragraph, e.g. `motion: 300 frames, 12 detections (motion 12); inference mean 1.20 ms,
    /// p95 1.90 ms, max 3.10 ms.`
    public func summary(detector: String) -> String {
        let labels = detectionsByLabel.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let perLabel = labels.isEmpty ? "" : " (\(labels))"
        func ms(_ us: Double) -> String { String(format: "%.2f ms", us / 1000) }
        return "\(detector): \(frames) frames, \(detections) detections\(perLabel); inference mean "
            + "\(ms(meanInferenceUs)), p95 \(ms(p95InferenceUs)), max \(ms(Double(maxInferenceUs)))."
    }

    private static func bucket(of us: Int64) -> Int {
        let sub = Int64(subBuckets)
        if us < sub { return Int(us) }
        let octave = 63 - us.leadingZeroBitCount - 5 // log2(us) - log2(subBuckets)
        return subBuckets + octave * subBuckets + Int((us >> octave) - sub)
    }

    /// Lowest value and width of a bucket.
    private static func range(of bucket: Int) -> (low: Int64, width: Int64) {
        if bucket < subBuckets { return (Int64(bucket), 1) }
        let octave = (bucket - subBuckets) / subBuckets
        let offset = Int64((bucket - subBuckets) % subBuckets + subBuckets)
        return (offset << octave, Int64(1) << octave)
    }
}
