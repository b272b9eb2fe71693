import CFFmpeg
import RTDCore

/// Muxes video that is ALREADY encoded (the H.264 access units or VP8 frames a live encoder made
/// for viewers) into Matroska/WebM or MP4 with libavformat, without decoding or re-encoding.
///
/// H.264 comes as Annex-B access units with SPS/PPS inline before each IDR (what LiveEncoder
/// emits). Matroska needs the parameter sets in its header, so the header is written at the first
/// keyframe, from that keyframe's SPS/PPS; frames before it are dropped (they could not be decoded).
/// Matroska output is written in clusters of at most a second, each flushed to disk as it closes
/// (the first one right after the first frame), so a killed process leaves a file readable up to
/// its last cluster, and never a file without a frame.
public final class EncodedVideoMuxer {
    public let path: String
    public let codec: VideoCodec
    public let size: VideoSize
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private let stream: UnsafeMutablePointer<AVStream>
    private let frameRate: FrameRate?
    private var headerWritten = false
    private var finished = false
    private var lastTimestamp: Int64 = .min
    public private(set) var framesWritten = 0
    /// Frames dropped because no usable keyframe had come yet.
    public private(set) var framesSkipped = 0
    /// pts (µs) of the first frame written, which every later pts is relative to in the file.
    public private(set) var firstPts: Int64?

    static let microseconds = AVRational(num: 1, den: 1_000_000)

    /// `metadata` becomes container tags (Matroska Tags, MP4 udta). `frameRate` is only a hint
    /// for players; timing comes from each frame's pts.
    public init(path: String, codec: VideoCodec, size: VideoSize, frameRate: FrameRate? = nil,
                metadata: [String: String] = [:]) throws(MediaError) {
        self.path = path
        self.codec = codec
        self.size = size
        self.frameRate = frameRate
        av_log_set_level(AV_LOG_FATAL)
        var fmt: UnsafeMutablePointer<AVFormatContext>?
        let r = avformat_alloc_output_context2(&fmt, nil, nil, path)
        guard r >= 0, let fmt else {
            throw MediaError(.unsupported, "cannot write \(path): unknown container (use .mkv, .webm or .mp4)")
        }
        guard let st = avformat_new_stream(fmt, nil), let pkt = av_packet_alloc() else {
            avformat_free_context(fmt)
            throw MediaError(.codec, "out of memory creating a muxer for \(path)")
        }
        format = fmt
        stream = st
        packet = pkt
        let par = st.pointee.codecpar!
        par.pointee.codec_type = AVMEDIA_TYPE_VIDEO
        par.pointee.codec_id = LibavVideoCodec(codec).codecID
        par.pointee.width = Int32(size.width)
        par.pointee.height = Int32(size.height)
        par.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        st.pointee.time_base = Self.microseconds
        if let frameRate {
            st.pointee.avg_frame_rate = AVRational(num: Int32(frameRate.numerator), den: Int32(frameRate.denominator))
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            av_dict_set(&fmt.pointee.metadata, key, value, 0)
        }
        let opened = avio_open(&fmt.pointee.pb, path, AVIO_FLAG_WRITE)
        guard opened >= 0 else {
            av_packet_free(&packet)
            avformat_free_context(fmt)
            format = nil
            throw MediaError(.io, "cannot create \(path): \(avErrorString(opened))")
        }
    }

    deinit {
        if !finished { try? finish() }
        av_packet_free(&packet)
        if let format {
            if format.pointee.pb != nil { avio_closep(&format.pointee.pb) }
            avformat_free_context(format)
        }
    }

    /// Writes one encoded frame; `pts` in µs (any origin, increasing). Returns false when the
    /// frame was dropped because no usable keyframe has started the file yet.
    @discardableResult
    public func write(_ data: [UInt8], isKeyframe: Bool, pts: Int64) throws(MediaError) -> Bool {
        guard !finished else { throw MediaError(.io, "\(path) is already finished") }
        guard !data.isEmpty else { return false }
        if !headerWritten {
            guard isKeyframe, try writeHeader(keyframe: data) else {
                framesSkipped += 1
                return false
            }
        }
        let origin = firstPts ?? pts
        firstPts = origin
        var ts = av_rescale_q(pts - origin, Self.microseconds, stream.pointee.time_base)
        // The container's clock may be coarser than µs (Matroska counts milliseconds): two frames
        // less than a tick apart still get increasing timestamps, which muxers require.
        if ts <= lastTimestamp { ts = lastTimestamp + 1 }
        // Every packet gets a duration: MP4 takes the last sample's from it, and its edit list
        // ends there, so a last frame without one is cut from playback. Without a frame rate,
        // the gap since the previous frame stands in for it.
        let duration = frameRate.map { av_rescale_q(Int64($0.frameDurationMicros.rounded()), Self.microseconds, stream.pointee.time_base) }
            ?? (lastTimestamp == .min ? 0 : ts - lastTimestamp)
        lastTimestamp = ts
        let pkt = packet!
        let r = data.withUnsafeBufferPointer { p -> Int32 in
            let alloc = av_new_packet(pkt, Int32(p.count))
            guard alloc >= 0 else { return alloc }
            pkt.pointee.data.update(from: p.baseAddress!, count: p.count)
            pkt.pointee.pts = ts
            pkt.pointee.dts = ts
            pkt.pointee.duration = duration
            pkt.pointee.flags = isKeyframe ? AV_PKT_FLAG_KEY : 0
            pkt.pointee.stream_index = stream.pointee.index
            // av_write_frame: one stream needs no interleaving buffer, so nothing waits in memory.
            let w = av_write_frame(format, pkt)
            av_packet_unref(pkt)
            return w
        }
        guard r >= 0 else { throw MediaError(.io, "writing \(path) failed: \(avErrorString(r))") }
        if framesWritten == 0, isMatroska {
            // Matroska holds a cluster in memory until it closes: without this, a recorder killed
            // in a segment's first second would leave a header and no frame, which no player opens.
            let f = av_write_frame(format, nil)
            guard f >= 0 else { throw MediaError(.io, "writing \(path) failed: \(avErrorString(f))") }
        }
        avio_flush(format!.pointee.pb)
        framesWritten += 1
        return true
    }

    private var isMatroska: Bool {
        guard let name = format?.pointee.oformat?.pointee.name else { return false }
        let n = String(cString: name)
        return n == "matroska" || n == "webm"
    }

    /// Bytes in the file so far.
    public var bytesWritten: Int64 {
        guard let pb = format?.pointee.pb else { return 0 }
        return avio_tell(pb)
    }

    private func writeHeader(keyframe: [UInt8]) throws(MediaError) -> Bool {
        let fmt = format!
        if LibavVideoCodec(codec).needsParameterSets {
            let sets = H264ParameterSets.extract(fromAnnexB: keyframe)
            guard !sets.isEmpty else { return false }
            // Annex-B extradata: the Matroska and MP4 muxers turn it into avcC and convert
            // every packet to length-prefixed NAL units themselves.
            let par = stream.pointee.codecpar!
            let pad = Int(AV_INPUT_BUFFER_PADDING_SIZE)
            guard let extra = av_mallocz(sets.count + pad)?.assumingMemoryBound(to: UInt8.self) else {
                throw MediaError(.codec, "out of memory")
            }
            extra.update(from: sets, count: sets.count)
            par.pointee.extradata = extra
            par.pointee.extradata_size = Int32(sets.count)
        }
        var opts: OpaquePointer?
        // Clusters of at most a second: what a killed recorder can lose.
        av_dict_set(&opts, "cluster_time_limit", "1000", 0)
        let r = avformat_write_header(fmt, &opts)
        av_dict_free(&opts)
        guard r >= 0 else { throw MediaError(.io, "cannot write the header of \(path): \(avErrorString(r))") }
        headerWritten = true
        return true
    }

    /// Writes the trailer (cues, duration) and closes the file. A file that never got a
    /// keyframe is left empty. Safe to call more than once.
    public func finish() throws(MediaError) {
        guard !finished else { return }
        finished = true
        guard let fmt = format else { return }
        var r: Int32 = 0
        if headerWritten { r = av_write_trailer(fmt) }
        if fmt.pointee.pb != nil { avio_closep(&fmt.pointee.pb) }
        guard r >= 0 else { throw MediaError(.io, "finishing \(path) failed: \(avErrorString(r))") }
    }
}

/// H.264 parameter sets out of an Annex-B access unit.
enum H264ParameterSets {
    /// The SPS and PPS NAL units of `accessUnit`, each with a 4-byte start code, concatenated;
    /// empty unless both are present. Never reads out of bounds on malformed input.
    static func extract(fromAnnexB accessUnit: [UInt8]) -> [UInt8] {
        var sps: [ArraySlice<UInt8>] = [], pps: [ArraySlice<UInt8>] = []
        for nal in annexBUnits(accessUnit) {
            guard let header = nal.first else { continue }
            switch header & 0x1F {
            case 7: sps.append(nal)
            case 8: pps.append(nal)
            default: break
            }
        }
        guard !sps.isEmpty, !pps.isEmpty else { return [] }
        var out: [UInt8] = []
        for nal in sps + pps { out += [0, 0, 0, 1] + nal }
        return out
    }

    /// NAL units between start codes (00 00 01 or 00 00 00 01), without the start codes.
    static func annexBUnits(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var units: [ArraySlice<UInt8>] = []
        var start: Int?
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == 0, bytes[i + 1] == 0, bytes[i + 2] == 1 {
                if let s = start {
                    var end = i
                    // A 4-byte start code's leading zero belongs to the code, not to the unit.
                    if end > s, bytes[end - 1] == 0 { end -= 1 }
                    if end > s { units.append(bytes[s..<end]) }
                }
                i += 3
                start = i
            } else {
                i += 1
            }
        }
        if let s = start, s < bytes.count { units.append(bytes[s...]) }
        return units
    }
}
