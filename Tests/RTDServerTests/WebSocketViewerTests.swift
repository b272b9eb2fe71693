import Foundation
import Logging
import Testing
import RTDTestSupport
@testable import RTDServer
@testable import RTDMedia

@Suite struct WebSocketViewerTests {
    final class Box: @unchecked Sendable {
        let lock = NSLock()
        var pictures: [JPEGPicture] = []
    }

    @Test func controlMessagesParseAndHostileTextNeverCrashes() {
        #expect(ViewerControl.parse(#"{"type":"ping","id":1}"#) == .ping(id: "1"))
        #expect(ViewerControl.parse(#"{"type":"ping","id":{"a":[1,"x"]}}"#) == .ping(id: #"{"a":[1,"x"]}"#))
        #expect(ViewerControl.parse(#"{"type":"ping"}"#) == .ping(id: nil))
        #expect(ViewerControl.pong(id: "1") == #"{"type":"pong","id":1}"#)
        #expect(ViewerControl.pong(id: nil) == #"{"type":"pong"}"#)
        #expect(ViewerControl.parse(#"{"type":"subscribe","camera":"lab"}"#) == .subscribe(camera: "lab"))
        #expect(ViewerControl.parse(#"{"type":"subscribe","camera":3}"#) == .invalid("subscribe without 'camera'"))
        #expect(ViewerControl.parse(#"{"type":"dance"}"#) == .invalid("unknown message type 'dance'"))
        #expect(ViewerControl.parse(#"{"kind":"ping"}"#) == .invalid("message without 'type'"))
        for text in ["", "[1,2]", "\"ping\"", "{", "null", "{\"type\":null}"] {
            guard case .invalid = ViewerControl.parse(text) else { Issue.record("accepted \(text)"); continue }
        }
        var random = SeededRandom(seed: 6)
        let alphabet = Array(#"{}[]":,pingsubcrtypeamd0123456789 \"#)
        for _ in 0..<3_000 {
            let text = String((0..<Int.random(in: 0..<40, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            _ = ViewerControl.parse(text)
        }
    }

    @Test func theCapLetsEveryThirdFrameOfThirtyThroughAtTen() {
        let frameUs: Int64 = 33_333
        var last: Int64?
        var sent: [Int] = []
        for i in 0..<31 where JPEGFeed.isDue(pts: Int64(i) * frameUs, last: last, maxFPS: 10) {
            sent.append(i)
            last = Int64(i) * frameUs
        }
        #expect(sent == Array(stride(from: 0, through: 30, by: 3)))
        // A source that starts again (pts back to 0) is not held back.
        #expect(JPEGFeed.isDue(pts: 0, last: 5_000_000, maxFPS: 10))
    }

    @Test func oneEncodeIsSharedByEverySubscriberAndOnlyWhileSubscribed() throws {
        let broadcast = FrameBroadcast()
        let feed = JPEGFeed(camera: "cam0", broadcast: broadcast, maxFPS: 1000, logger: Logger(label: "test"))
        defer { feed.stop() }
        let pattern = TestPattern(width: 320, height: 240, stamp: false)
        for i in 0..<5 {
            broadcast.publish(pattern.render(index: i, pts: Int64(i) * 33_333, capturedAt: 1_000 + Int64(i)))
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(feed.picturesEncoded == 0)
        let a = Box(), b = Box()
        let ida = feed.subscribe { p in a.lock.withLock { a.pictures.append(p) } }
        let idb = feed.subscribe { p in b.lock.withLock { b.pictures.append(p) } }
        for i in 5..<40 {
            broadcast.publish(pattern.render(index: i, pts: Int64(i) * 33_333, capturedAt: 1_000 + Int64(i)))
            Thread.sleep(forTimeInterval: 0.01)
        }
        Thread.sleep(forTimeInterval: 0.2)
        feed.unsubscribe(ida)
        feed.unsubscribe(idb)
        let (pa, pb) = (a.lock.withLock { a.pictures }, b.lock.withLock { b.pictures })
        #expect(pa.count >= 10)
        // From b's first picture on, both got the same pictures (a may have had one before b joined).
        let first = try #require(pb.first).frame
        #expect(pa.filter { $0.frame >= first }.map(\.frame) == pb.map(\.frame))
        #expect(feed.picturesEncoded == pa.count)
        #expect(zip(pa, pa.dropFirst()).allSatisfy { $0.frame < $1.frame })
        #expect(pa.allSatisfy { $0.width == 320 && $0.jpeg.readableBytes > 1000 && $0.capturedAtUs == 1_000 + Int64($0.frame) })
        #expect(pa[0].announcement.hasPrefix(#"{"type":"frame","frame":\#(pa[0].frame),"pts_us":"#))
        let encoded = feed.picturesEncoded
        for i in 40..<45 {
            broadcast.publish(pattern.render(index: i, pts: Int64(i) * 33_333, capturedAt: 1_000 + Int64(i)))
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(feed.picturesEncoded == encoded)
    }
}
