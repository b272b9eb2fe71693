import Testing
@testable import RTDServer

@Suite struct ValidatedPathsTests {
    @Test func pathsAreKeptNewestLastAndTheOldestGoesPastTheLimit() {
        var paths = ValidatedPaths<Int>(limit: 3)
        #expect(paths.add(1) == (true, nil))
        #expect(paths.add(2) == (true, nil))
        #expect(paths.add(1) == (false, nil), "a known path is not new")
        #expect(paths.all == [2, 1], "and becomes the newest")
        #expect(paths.add(3) == (true, nil))
        #expect(paths.add(4) == (true, 2), "past the limit the oldest is forgotten")
        #expect(paths.all == [1, 3, 4])
    }

    @Test func aPathThatWentAwayIsForgotten() {
        var paths = ValidatedPaths<Int>(limit: 3)
        _ = paths.add(1)
        _ = paths.add(2)
        paths.remove(1)
        paths.remove(7)
        #expect(paths.all == [2])
        #expect(paths.add(1) == (true, nil), "and is new when it comes back")
    }
}
