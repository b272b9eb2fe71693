import ArgumentParser
import Foundation
import Logging
import RTDCore
import RTDMedia

/// Options every command that opens a source shares.
struct SourceArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Frame size, WIDTHxHEIGHT (even numbers). Default: the source's own; testsrc: 640x480.",
                               valueName: "WxH"),
            transform: { try VideoSize.parse($0) })
    var size: VideoSize?

    @Option(help: ArgumentHelp("Frame rate, e.g. 30, 29.97 or 30000/1001. Cameras are asked for it; files and streams are thinned to it. Default: the source's own; testsrc: 30.",
                               valueName: "rate"),
            transform: { try FrameRate.parse($0) })
    var fps: FrameRate?

    @Option(help: ArgumentHelp("""
        How fast frames come: auto (live sources in real time, files and stdin as fast as they are read), \
        realtime (files paced like a camera), fast (testsrc as fast as the consumer takes it).
        """, valueName: "mode"))
    var pace: SourceOptions.Pacing = .auto

    var options: SourceOptions { SourceOptions(size: size, frameRate: fps, pacing: pace) }
}

extension SourceOptions.Pacing: ExpressibleByArgument {}

struct LoggingArguments: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: ArgumentHelp("Log detail on stderr: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: Logger.Level = .notice

    @Option(help: ArgumentHelp("Log lines as text, or as one JSON object each (for log collectors).", valueName: "format"))
    var logFormat: Format = .text

    func bootstrap() {
        let level = logLevel
        let format = logFormat
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Refuses `value` (when given) outside `range` with a usage error naming the option; NaN is
/// outside every range. Bounds keep every later conversion (Int32 fields, µs in Int64) exact.
func requireRange<T: Comparable>(_ value: T?, _ range: ClosedRange<T>, _ option: String, _ unit: String = "") throws {
    guard let value, !range.contains(value) else { return }
    throw ValidationError("\(option) must be \(range.lowerBound) .. \(range.upperBound)\(unit), not \(value)")
}

/// Prints one line naming the command and the problem, then exits non-zero: the CLI's single
/// way of reporting a runtime failure.
func fail(_ command: String, _ message: String, code: Int32 = 1) -> ExitCode {
    FileHandle.standardError.write(Data("rtd \(command): \(message)\n".utf8))
    return ExitCode(code)
}

func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Set by SIGINT/SIGTERM so long-running loops can finish cleanly (close files, write trailers).
enum Interrupt {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { sig in
            Interrupt.flag = 1
            // A second signal ends the process at once.
            signal(sig, SIG_DFL)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    static var requested: Bool { flag != 0 }
}
