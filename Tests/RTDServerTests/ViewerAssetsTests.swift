import Foundation
import Testing
@testable import RTDServer

/// The viewer as the EmbedViewer plugin compiled it in: every file at its path with its type, every
/// module the page imports present, and only the page itself behind the token.
@Suite struct ViewerAssetsTests {
    func file(_ path: String) -> ViewerAsset? { ViewerAssets.files.first { $0.path == path } }

    @Test func thePageItsStylesheetAndScriptAreServedWithTheirTypes() throws {
        #expect(Set(ViewerAssets.files.map(\.path)).count == ViewerAssets.files.count)
        let page = try #require(file("/"))
        #expect(page.contentType == "text/html; charset=utf-8")
        #expect(page.text.contains(#"<script type="module" src="viewer.js"></script>"#))
        #expect(file("/viewer.css")?.contentType == "text/css; charset=utf-8")
        #expect(file("/viewer.js")?.contentType == "text/javascript; charset=utf-8")
        #expect(file("/index.html") == nil)
        for asset in ViewerAssets.files where asset.path.hasSuffix(".js") {
            #expect(asset.contentType == "text/javascript; charset=utf-8", "\(asset.path)")
        }
    }

    /// A module missing from the binary would leave the page blank: every `from "./x.js"` resolves
    /// to an embedded file.
    @Test func everyImportedModuleIsEmbedded() throws {
        var seen: Set<String> = [], todo = ["/viewer.js"]
        while let path = todo.popLast() {
            guard seen.insert(path).inserted else { continue }
            let module = try #require(file(path), "\(path) is imported but not embedded")
            let directory = String(path[...path.lastIndex(of: "/")!])
            for line in module.text.split(separator: "\n") {
                guard let from = line.range(of: #"from "./"#), let end = line[from.upperBound...].firstIndex(of: "\"") else { continue }
                todo.append(directory + line[from.upperBound..<end])
            }
        }
        #expect(seen.contains("/viewer/sync.js") && seen.contains("/viewer/overlay.js"))
        #expect(seen == Set(ViewerAssets.files.map(\.path).filter { $0.hasSuffix(".js") }), "a module nothing imports")
    }

    @Test func onlyThePageNeedsTheToken() {
        let t = "s3cret"
        #expect(!AccessPolicy.authorized(expected: t, path: "/", authorization: nil, queryToken: nil))
        for asset in ViewerAssets.files where asset.path != "/" {
            #expect(AccessPolicy.authorized(expected: t, path: asset.path, authorization: nil, queryToken: nil), "\(asset.path)")
        }
        #expect(!AccessPolicy.authorized(expected: t, path: "/viewer/", authorization: nil, queryToken: nil))
        #expect(!AccessPolicy.authorized(expected: t, path: "/viewer/nope.js", authorization: nil, queryToken: nil))
    }

    /// The generator's Swift literals hold each file byte for byte (quotes, backslashes, non-ASCII,
    /// the last newline), and no file is left out.
    @Test func everyFileIsEmbeddedByteForByte() throws {
        var package = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: package.appendingPathComponent("Package.swift").path) {
            package.deleteLastPathComponent()
        }
        let sources = package.appendingPathComponent("Sources")
        let targets = try FileManager.default.contentsOfDirectory(atPath: sources.path)
        let root = try #require(targets.lazy.map { sources.appendingPathComponent("\($0)/Web/page") }
            .first { FileManager.default.fileExists(atPath: $0.path) })
        let walk = try #require(FileManager.default.enumerator(atPath: root.path))
        var onDisk: [String: Data] = [:]
        for case let relative as String in walk {
            var isDirectory: ObjCBool = false
            let url = root.appendingPathComponent(relative)
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            onDisk[relative == "index.html" ? "/" : "/" + relative] = try Data(contentsOf: url)
        }
        #expect(Set(onDisk.keys) == Set(ViewerAssets.files.map(\.path)))
        for asset in ViewerAssets.files {
            #expect(Data(asset.text.utf8) == onDisk[asset.path], "\(asset.path)")
        }
        #expect(try #require(file("/")).text.contains("Offline demo — not connected to a server"))
    }
}
