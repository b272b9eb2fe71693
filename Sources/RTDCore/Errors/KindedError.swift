/// An error that says which kind of failure it is (for exit codes and `catch where`) and carries
/// one human-readable line naming what went wrong and where, printed as is. Each layer names
/// its kinds (`MediaError`, `DetectionError`, `SignalError`).
public struct KindedError<Kind: Sendable & Equatable>: Error, CustomStringConvertible, Sendable, Equatable {
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
