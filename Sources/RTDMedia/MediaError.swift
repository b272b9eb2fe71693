import RTDCore

/// Every media failure carries one human-readable line naming what went wrong and where
/// (file, byte offset, frame number), so the CLI can print it as is.
public typealias MediaError = KindedError<MediaErrorKind>

public enum MediaErrorKind: Sendable, Equatable {
    case badInput       // malformed stream, header or argument
    case unsupported    // well-formed but not something rtd handles
    case notFound       // missing file or device
    case io             // read/write failure
    case device         // camera refused (permission, busy, not a capture device)
    case codec          // libavcodec/libavformat failure
    case endOfOutput    // downstream closed the pipe: a normal way for a pipeline to end
}
