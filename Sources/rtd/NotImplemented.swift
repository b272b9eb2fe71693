import ArgumentParser

/// Stages not built yet say so and exit 2; they never pretend to work.
private func notImplemented(_ name: String) -> ExitCode {
    fail(name, "not implemented yet", code: 2)
}

struct SignalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signal",
        abstract: "Connect to an rtd server as a receive-only WebRTC peer.",
        discussion: """
        Receives a camera's video and detections from a running `rtd serve`.

        Example:
          rtd signal http://127.0.0.1:8080 --camera cam0 > detections.jsonl
        """)

    @Argument(help: "Server URL, e.g. http://127.0.0.1:8080.") var url: String

    func run() throws { throw notImplemented("signal") }
}
