import ArgumentParser

/// Stages not built yet say so and exit 2; they never pretend to work.
private func notImplemented(_ name: String) -> ExitCode {
    fail(name, "not implemented yet", code: 2)
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recording with its detections, or export an annotated video.",
        discussion: """
        Example:
          rtd replay recording.mkv --detections recording.jsonl --export annotated.mp4
        """)

    @Argument(help: "Recording to replay (mkv or mp4).") var recording: String

    func run() throws { throw notImplemented("replay") }
}
