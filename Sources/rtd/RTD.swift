import ArgumentParser

@main
struct RTD: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "rtd",
        abstract: "Real-time video object detection, streamed to browsers over WebRTC.",
        discussion: """
        One binary, six composable stages. Frames travel between stages as Y4M (YUV4MPEG2 4:2:0),
        detections as JSON Lines, so any stage can be swapped for ffmpeg, ffplay or a script.

        Sources, the same string everywhere: testsrc, testsrc:stamp, /dev/videoN (or v4l2:/dev/videoN),
        rtsp://..., http(s)://..., a file (mp4, mkv, webm, y4m...), replay:FILE, or - for Y4M on stdin.

        Examples:
          rtd probe-cameras
          rtd capture testsrc --frames 300 -o clip.mkv
          rtd capture /dev/video0 | rtd detect
          rtd serve --camera door=rtsp://10.0.0.7/stream
        """,
        version: version,
        subcommands: [
            CaptureCommand.self, DetectCommand.self, ServeCommand.self, SignalCommand.self,
            ProbeCamerasCommand.self, ReplayCommand.self,
        ]
    )
}
