import Foundation

/// A source named by one string, the same in every subcommand and in the config file.
public enum SourceSpec: Sendable, Equatable, CustomStringConvertible {
    case testPattern(stamp: Bool)
    case v4l2(device: String)
    case url(String)
    case file(path: String)
    case stdin
    case replay(path: String)

    static let urlSchemes: Set<String> = ["rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "rtp", "srt", "tcp"]

    public static func parse(_ text: String) throws(MediaError) -> SourceSpec {
        switch text {
        case "": throw MediaError(.badInput, "empty source: use testsrc, /dev/videoN, rtsp://…, a file path or -")
        case "-": return .stdin
        case "testsrc": return .testPattern(stamp: false)
        case "testsrc:stamp": return .testPattern(stamp: true)
        default: break
        }
        if text.hasPrefix("testsrc:") {
            throw MediaError(.badInput, "unknown test pattern option in '\(text)': use testsrc or testsrc:stamp")
        }
        if text.hasPrefix("v4l2:") { return .v4l2(device: String(text.dropFirst(5))) }
        if text.hasPrefix("/dev/video") { return .v4l2(device: text) }
        if text.hasPrefix("replay:") { return .replay(path: String(text.dropFirst(7))) }
        if let r = text.range(of: "://") {
            let scheme = text[..<r.lowerBound].lowercased()
            if urlSchemes.contains(scheme) { return .url(text) }
            if scheme == "file" { return .file(path: String(text[r.upperBound...])) }
            throw MediaError(.badInput, "unknown source scheme '\(scheme)://' in '\(text)': use testsrc, /dev/videoN, "
                + "v4l2:/dev/videoN, rtsp://…, http(s)://…, a file path or - (Y4M on stdin)")
        }
        if let colon = text.firstIndex(of: ":"), !text.contains("/"),
           !FileManager.default.fileExists(atPath: text) {
            throw MediaError(.badInput, "unknown source '\(text[...colon])' in '\(text)': use testsrc, /dev/videoN, "
                + "v4l2:/dev/videoN, rtsp://…, http(s)://…, a file path or - (Y4M on stdin)")
        }
        return .file(path: text)
    }

    /// Live sources run at their own pace and drop frames a slow consumer cannot take.
    public var isLive: Bool {
        switch self {
        case .testPattern, .v4l2, .url: return true
        case .file, .stdin, .replay: return false
        }
    }

    public var description: String {
        switch self {
        case .testPattern(let stamp): return stamp ? "testsrc:stamp" : "testsrc"
        case .v4l2(let device): return device
        case .url(let url): return url
        case .file(let path): return path
        case .stdin: return "-"
        case .replay(let path): return "replay:\(path)"
        }
    }
}

/// What the user asked of a source: a size and rate (converted if the source differs) and pacing.
public struct SourceOptions: Sendable, Equatable {
    public enum Pacing: String, Sendable, CaseIterable {
        /// Live sources in real time, files and stdin as fast as the consumer takes them.
        case auto
        /// Frames at their presentation times (a file then behaves like a camera).
        case realtime
        /// As fast as the consumer takes them (the test pattern for offline work).
        case fast
    }

    public var size: VideoSize?
    public var frameRate: FrameRate?
    public var pacing: Pacing
    /// Who consumes the source (a server camera's name): keeps two replays of one recording, and
    /// their recorded detections, apart.
    public var consumer: String?

    public init(size: VideoSize? = nil, frameRate: FrameRate? = nil, pacing: Pacing = .auto, consumer: String? = nil) {
        self.size = size
        self.frameRate = frameRate
        self.pacing = pacing
        self.consumer = consumer
    }
}

/// A producer of frames, owned and pulled by one thread.
public protocol FrameSource: AnyObject {
    /// Size and rate of the frames this source produces.
    var size: VideoSize { get }
    var frameRate: FrameRate { get }
    /// Frames the source itself skipped because its consumer was late (cameras and paced sources).
    var droppedFrames: Int { get }
    /// Blocks until the next frame; nil at the end of a finite source.
    func nextFrame() throws(MediaError) -> Frame?
}

/// Opens sources. Media opens every kind but `replay:`, whose reader belongs to the recording
/// layer above: that layer supplies it (`SourceFactory.all` in RTDRecording).
public struct SourceFactory: Sendable {
    public typealias Opener = @Sendable (_ path: String, _ options: SourceOptions) throws(MediaError) -> any FrameSource
    private let replay: Opener?

    public init(replay: Opener?) {
        self.replay = replay
    }

    /// Every source media can open by itself.
    public static let media = SourceFactory(replay: nil)

    public func open(_ spec: SourceSpec, options: SourceOptions) throws(MediaError) -> any FrameSource {
        switch spec {
        case .testPattern(let stamp):
            return try TestPatternSource(stamp: stamp, options: options)
        case .stdin:
            return try Y4MSource(reader: FileDescriptorReader(fd: 0, name: "stdin"), options: options)
        case .file(let path):
            if path.lowercased().hasSuffix(".y4m") {
                return try Y4MSource(reader: FileDescriptorReader.open(path: path), options: options)
            }
            guard FileManager.default.fileExists(atPath: path) else {
                throw MediaError(.notFound, "no such file: \(path)")
            }
            return try AVFormatSource(url: path, live: false, options: options)
        case .url(let url):
            return try AVFormatSource(url: url, live: true, options: options)
        case .v4l2(let device):
            return try V4L2Source(device: device, options: options)
        case .replay(let path):
            guard let replay else { throw MediaError(.unsupported, "\(spec): replay sources are not available here") }
            return try replay(path, options)
        }
    }
}
