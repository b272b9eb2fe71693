import Foundation
import RTDMedia
import RTDDetection

/// A recording's detections file: one DetectionRecord JSON line per processed frame, `pts_us`
/// being the pts of that frame in the video beside it (so replay pairs them by pts).
public struct Sidecar: Sendable {
    public let path: String
    /// Records in pts order (a stable sort: records of one pts keep their file order).
    public let records: [DetectionRecord]
    /// One line per line that was skipped: `FILE:LINE: what is wrong`.
    public let warnings: [String]

    /// Reads a whole sidecar. A malformed line is a warning naming file and line, and is
    /// skipped; a missing or unreadable file is an error. A torn last line (the recorder was
    /// killed mid-write) is reported like any other.
    public static func load(path: String) throws(MediaError) -> Sidecar {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            if !FileManager.default.fileExists(atPath: path) { throw MediaError(.notFound, "no such detections file: \(path)") }
            throw MediaError(.io, "cannot read detections file \(path): \(error.localizedDescription)")
        }
        return parse(data, path: path)
    }

    /// Pure: records and warnings out of a sidecar's bytes.
    public static func parse(_ data: Data, path: String) -> Sidecar {
        var records: [DetectionRecord] = []
        var warnings: [String] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let text = String(decoding: line, as: UTF8.self)
            if text.allSatisfy(\.isWhitespace) { continue }
            do {
                records.append(try DetectionRecord.decode(jsonLine: text))
            } catch {
                warnings.append("\(path):\(lineNumber): \(error) (line skipped)")
            }
        }
        let ordered = records.enumerated().sorted { ($0.element.ptsUs, $0.offset) < ($1.element.ptsUs, $1.offset) }.map(\.element)
        return Sidecar(path: path, records: ordered, warnings: warnings)
    }

    /// Capture time (unix µs) of pts 0, from the first record that has one.
    public var captureOrigin: Int64? {
        records.first { $0.capturedAtUs != nil }.map { $0.capturedAtUs! - $0.ptsUs }
    }
}

/// Appends records to a sidecar, one write per line: a killed process loses at most the line
/// being written, and every complete line is already on disk.
final class SidecarWriter {
    let path: String
    private let output: FileDescriptorWriter
    private(set) var recordsWritten = 0

    init(path: String) throws(MediaError) {
        self.path = path
        output = try FileDescriptorWriter.create(path: path)
    }

    func write(_ record: DetectionRecord) throws(MediaError) {
        try output.write(Array((record.jsonLine() + "\n").utf8))
        recordsWritten += 1
    }
}
