import Logging
import Testing
@testable import RTDMedia
@testable import RTDServer

/// One encoder per layer follows the viewers on it, not a viewer on its way to a lower layer.
@Suite struct VideoTrackEstimateTests {
    private func track(kbps: Int, floor: Int?, index: Int) -> VideoTrack {
        VideoTrack(camera: "cam", codec: .h264, layer: Layer(index: index, size: VideoSize(width: 640, height: 360), kbps: kbps, scale: nil),
                   broadcast: FrameBroadcast(), frameRate: FrameRate(30), settings: .init(bitrateKbps: kbps),
                   bitrateRange: 100...3000, estimateFloor: floor, logger: Logger(label: "test"))
    }

    @Test func followsTheLowestEstimateAboveItsFloor() {
        let full = track(kbps: 1000, floor: 530, index: 0)
        #expect(full.targetBitrate == 1000)
        full.updateEstimate(peer: "a", kbps: 900)
        full.updateEstimate(peer: "b", kbps: 1200)
        #expect(full.targetBitrate == 900)
        // b's link collapses: it is moving down, the others keep their picture.
        full.updateEstimate(peer: "b", kbps: 280)
        #expect(full.targetBitrate == 900)
        full.removeEstimate(peer: "a")
        #expect(full.targetBitrate == 1000)
    }

    @Test func aViewersEstimateGoesWithItToItsNewLayer() {
        let full = track(kbps: 1000, floor: 190, index: 0)
        let small = track(kbps: 190, floor: nil, index: 2)
        full.updateEstimate(peer: "a", kbps: 950)
        full.updateEstimate(peer: "slow", kbps: 180) // below the floor: not followed here
        #expect(full.targetBitrate == 950)
        full.moveEstimate(peer: "slow", to: small)
        #expect(small.targetBitrate == 180)
        #expect(full.targetBitrate == 950)
        full.moveEstimate(peer: "a", to: small)
        #expect(full.targetBitrate == 1000)
        #expect(small.targetBitrate == 180)
    }
}
