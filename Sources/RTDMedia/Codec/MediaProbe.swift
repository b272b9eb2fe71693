import CFFmpeg

/// What libavformat says about a file or URL: container, duration and streams.
public struct MediaProbeResult: Codable, Sendable, Equatable {
    public struct Stream: Codable, Sendable, Equatable {
        public var index: Int
        public var type: String
        public var codec: String
        public var width: Int?
        public var height: Int?
        public var fps: Double?
        public var frames: Int?
    }
    public var source: String
    public var container: String
    public var durationSeconds: Double?
    public var bitrate: Int?
    public var streams: [Stream]

    enum CodingKeys: String, CodingKey {
        case source, container, streams, bitrate
        case durationSeconds = "duration_s"
    }
}

public enum MediaProbe {
    public static func probe(_ url: String) throws(MediaError) -> MediaProbeResult {
        av_log_set_level(AV_LOG_FATAL)
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        var dict: OpaquePointer?
        av_dict_set(&dict, "timeout", "5000000", 0)
        av_dict_set(&dict, "rw_timeout", "5000000", 0)
        let r = url.contains("://") ? avformat_open_input(&ctx, url, nil, &dict) : avformat_open_input(&ctx, url, nil, nil)
        av_dict_free(&dict)
        guard r >= 0, ctx != nil else { throw MediaError(.badInput, "cannot open \(url): \(avErrorString(r))") }
        defer { avformat_close_input(&ctx) }
        let fmt = ctx!
        let info = avformat_find_stream_info(fmt, nil)
        guard info >= 0 else { throw MediaError(.badInput, "cannot read stream info from \(url): \(avErrorString(info))") }
        var streams: [MediaProbeResult.Stream] = []
        for i in 0..<Int(fmt.pointee.nb_streams) {
            guard let st = fmt.pointee.streams[i], let par = st.pointee.codecpar else { continue }
            let type: String
            switch par.pointee.codec_type {
            case AVMEDIA_TYPE_VIDEO: type = "video"
            case AVMEDIA_TYPE_AUDIO: type = "audio"
            case AVMEDIA_TYPE_SUBTITLE: type = "subtitle"
            case AVMEDIA_TYPE_DATA: type = "data"
            default: type = "other"
            }
            var s = MediaProbeResult.Stream(index: i, type: type, codec: String(cString: avcodec_get_name(par.pointee.codec_id)))
            if type == "video" {
                s.width = Int(par.pointee.width)
                s.height = Int(par.pointee.height)
                let r = st.pointee.avg_frame_rate.num > 0 ? st.pointee.avg_frame_rate : st.pointee.r_frame_rate
                if r.num > 0 && r.den > 0 { s.fps = (Double(r.num) / Double(r.den) * 1000).rounded() / 1000 }
                if st.pointee.nb_frames > 0 { s.frames = Int(st.pointee.nb_frames) }
            }
            streams.append(s)
        }
        let duration = fmt.pointee.duration
        return MediaProbeResult(
            source: url, container: String(cString: fmt.pointee.iformat.pointee.name),
            durationSeconds: duration > 0 ? Double(duration) / Double(AV_TIME_BASE) : nil,
            bitrate: fmt.pointee.bit_rate > 0 ? Int(fmt.pointee.bit_rate) : nil, streams: streams)
    }
}
