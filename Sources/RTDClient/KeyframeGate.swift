/// Decides which assembled frames may reach the decoder and when to ask the sender for a keyframe
/// (RTCP PLI). After lost packets were given up, a corrupt frame or a decoder that fell behind,
/// delta frames would reference a picture the decoder never had, so they are dropped until a
/// keyframe comes; a PLI goes out at once (two round trips after the previous one at the soonest)
/// and again every `retryInterval` while waiting. At the start the sender is already sending its
/// first keyframe, so the first PLI waits one interval. Pure: time is passed in.
public struct KeyframeGate: Sendable, Equatable {
    public static let retryInterval: Int64 = 300_000

    public private(set) var waiting = true
    private var lastRequest: Int64?
    private var urgent = false

    public init() {}

    /// Something broke the reference chain.
    public mutating func lost() {
        waiting = true
        urgent = true
    }

    /// Whether this frame may be decoded; `followsLoss` is the jitter buffer's flag.
    public mutating func admit(isKeyframe: Bool, followsLoss: Bool) -> Bool {
        if followsLoss { lost() }
        guard waiting else { return true }
        guard isKeyframe else { return false }
        waiting = false
        urgent = false
        return true
    }

    /// True when a PLI should be sent now.
    public mutating func shouldRequest(now: Int64, roundTripTime: Int64?) -> Bool {
        guard waiting else { return false }
        let rtt2 = 2 * (roundTripTime ?? 0)
        if let last = lastRequest {
            guard now - last >= (urgent ? rtt2 : max(Self.retryInterval, rtt2)) else { return false }
        } else if !urgent {
            lastRequest = now
            return false
        }
        urgent = false
        lastRequest = now
        return true
    }
}
