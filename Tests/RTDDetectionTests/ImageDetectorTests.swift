import Foundation
import Testing
@testable import RTDDetection

/// HOG and Haar on a real photograph: Tests/Fixtures/basketball1.png, from Debian's opencv-doc
/// package (/usr/share/doc/opencv-doc/examples/data/basketball1.png; OpenCV samples,
/// Apache-2.0 AND BSD-3-Clause per debian/copyright). 640x480 grey, two men playing catch.
@Suite struct ImageDetectorTests {
    static let photo = DetectionTestSupport.fixture("basketball1.png")
    /// Hand-measured on the photo: the man on the left (whole body) and his face.
    static let leftPerson = BoundingBox(x: 35, y: 80, width: 125, height: 400)
    static let leftFace = BoundingBox(x: 70, y: 88, width: 42, height: 42)

    @Test func hogFindsThePersonOnTheLeft() throws {
        let found = try HOGDetector().detect(DetectionTestSupport.loadImage(Self.photo))
        let best = found.map { $0.box.iou(Self.leftPerson) }.max() ?? 0
        #expect(best >= 0.5, "boxes: \(found.map(\.box))")
        #expect(found.allSatisfy { $0.label == "person" && $0.score > 0.5 && $0.score < 1 })
    }

    @Test func haarFindsTheFaceOnTheLeft() throws {
        let found = try HaarDetector().detect(DetectionTestSupport.loadImage(Self.photo))
        #expect(found.count == 1, "boxes: \(found.map(\.box))")
        let best = found.map { $0.box.iou(Self.leftFace) }.max() ?? 0
        #expect(best >= 0.6, "boxes: \(found.map(\.box))")
        #expect(found.first?.label == "face")
        #expect(found.allSatisfy { $0.score > 0.5 && $0.score < 1 })
    }

    @Test func plainGreyFrameHasNothing() throws {
        let grey = DetectionTestSupport.greyFrame(width: 640, height: 480)
        #expect(try HOGDetector().detect(grey).isEmpty)
        #expect(try HaarDetector().detect(grey).isEmpty)
    }

    @Test func haarLabelComesFromTheFileNameOrTheOption() throws {
        #expect(HaarDetector.label(forCascade: "/x/haarcascade_frontalface_default.xml") == "face")
        #expect(HaarDetector.label(forCascade: "haarcascade_profileface.xml") == "face")
        #expect(HaarDetector.label(forCascade: "haarcascade_frontalcatface_extended.xml") == "catface")
        #expect(HaarDetector.label(forCascade: "haarcascade_eye.xml") == "eye")
        #expect(HaarDetector.label(forCascade: "/data/my_widgets.xml") == "my_widgets")
        var options = HaarOptions()
        options.label = "head"
        #expect(try HaarDetector(options: options).label == "head")
    }

    @Test func haarRejectsMissingAndInvalidCascades() throws {
        let missing = #expect(throws: DetectionError.self) { try HaarDetector(cascade: "/nonexistent/cascade.xml") }
        #expect(missing?.kind == .notFound)
        #expect(missing?.message.contains("/nonexistent/cascade.xml") == true)
        let dir = try DetectionTestSupport.temporaryDirectory()
        let bogus = dir.appendingPathComponent("bogus.xml").path
        try "<not-a-cascade/>".write(toFile: bogus, atomically: true, encoding: .utf8)
        let invalid = #expect(throws: DetectionError.self) { try HaarDetector(cascade: bogus) }
        #expect(invalid?.kind == .badModel)
    }
}
