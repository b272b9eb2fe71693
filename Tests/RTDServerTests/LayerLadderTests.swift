import Testing
@testable import RTDServer
@testable import RTDMedia

@Suite struct LayerLadderTests {
    @Test func readsFractionsSizesAndBitrates() throws {
        #expect(try LayerLadder.parse("off") == .off)
        #expect(try LayerLadder.parse(" 1/2 , 1/4 ") == .standard)
        let ladder = try LayerLadder.parse("640x360@500,1/8@120k")
        #expect(ladder.rungs == [LayerLadder.Rung(scale: .size(VideoSize(width: 640, height: 360)), kbps: 500),
                                 LayerLadder.Rung(scale: .fraction(8), kbps: 120)])
        #expect(ladder.description == "640x360@500,1/8@120")
        #expect(try LayerLadder.parse(ladder.description) == ladder)
    }

    /// Each refusal names the rung and what is wanted.
    @Test func refusesWhatIsNotALadder() {
        for (text, says) in [("1/1", "1/N needs N in 2...16"), ("1/3x", "1/N needs N in 2...16"), ("half", "is not a layer"),
                             ("641x360", "even"), ("8x8", "smaller than 16x16"), ("1/2@10", "50...100000"),
                             ("1/4,1/2", "not smaller than the layer before"), ("320x180,640x360", "not smaller"),
                             ("1/2,1/3,1/4,1/5,1/6", "at most 4"), ("", "is not a layer")] {
            do {
                _ = try LayerLadder.parse(text)
                Issue.record("'\(text)' was taken")
            } catch {
                #expect(error.message.contains(says), "'\(text)': \(error.message)")
            }
        }
    }

    /// The default ladder of a 720p camera at 1500 kbit/s: half and quarter size, bitrates by
    /// pixel count^0.75; a rung no smaller than the one above (a fixed size above the camera's)
    /// is left out, and a given bitrate is never above the layer above it.
    @Test func layersOfACamera() throws {
        let full = VideoSize(width: 1280, height: 720)
        let layers = LayerLadder.standard.layers(full: full, fullKbps: 1500)
        #expect(layers.map(\.size) == [full, VideoSize(width: 640, height: 360), VideoSize(width: 320, height: 180)])
        #expect(layers.map(\.kbps) == [1500, 530, 190])
        #expect(layers.map(\.index) == [0, 1, 2])
        #expect(layers[0].scale == nil)
        let odd = try LayerLadder.parse("1920x1080,1/2@2000").layers(full: VideoSize(width: 642, height: 362), fullKbps: 800)
        #expect(odd.map(\.size) == [VideoSize(width: 642, height: 362), VideoSize(width: 320, height: 180)])
        #expect(odd.map(\.kbps) == [800, 800])
        #expect(LayerLadder.off.layers(full: full, fullKbps: 1500).count == 1)
    }

    @Test func configAndServerDefault() throws {
        let config = try ConfigFile.parse("""
        server: {layers: off}
        cameras:
          a: {source: testsrc, layers: "1/2@400"}
          b: testsrc
        """)
        #expect(config.server.layers == .off)
        #expect(config.cameras.first { $0.name == "a" }?.layers == LayerLadder(rungs: [.init(scale: .fraction(2), kbps: 400)]))
        #expect(config.cameras.first { $0.name == "b" }?.layers == nil)
        #expect(try ConfigFile.parse("server: {layers: false}").server.layers == .off)
        #expect(throws: ConfigError.self) { try ConfigFile.parse("server: {layers: 1/3x}") }
    }
}
