import Foundation
import PackagePlugin

/// Compiles the browser viewer (the files under the target's `Web/page/`) into the binary: one
/// generated Swift file that holds each file's text, URL path and content type, so that nothing is
/// read from disk at run time. The directory is relative to the target, so the files can move
/// with the target; the manifest excludes it from the target's own sources.
@main
struct EmbedViewer: BuildToolPlugin {
    static let pageDirectory = "Web/page"

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let root = module.directoryURL.appending(path: Self.pageDirectory, directoryHint: .isDirectory)
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw PluginError("\(target.name) has no \(Self.pageDirectory) directory to embed")
        }
        var files: [URL] = []
        for case let url as URL in walk where try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
            files.append(url)
        }
        files.sort { $0.path < $1.path } // the same generated file for the same inputs
        let output = context.pluginWorkDirectoryURL.appending(path: "ViewerAssets+Files.swift")
        return [.buildCommand(displayName: "Embedding \(files.count) viewer files of \(target.name)",
                              executable: try context.tool(named: "embed-viewer").url,
                              arguments: [output.path, root.path] + files.map(\.path),
                              inputFiles: files, outputFiles: [output])]
    }
}

struct PluginError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
