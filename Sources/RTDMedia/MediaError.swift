/// Every media failure carries one human-readable line naming what went wrong and where
/// (file, byte offset, frame number), so the CLI can print it as is.
public struct MediaError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case badInput       // malformed stream, header or argument
        case unsupported    // well-formed but not something rtd handles
        case notFound       // missing file or device
        case io             // read/write failure
        case device         // camera refused (permission, busy, not a capture device)
        case codec          // libavcodec/libavformat failure
        case endOfOutput    // downstream closed the pipe: a normal way for a pipeline to end
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
