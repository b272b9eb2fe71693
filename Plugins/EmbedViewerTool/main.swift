import Foundation

// embed-viewer OUTPUT ROOT FILE...: writes OUTPUT, a Swift file that extends `ViewerAssets` with
// `files`, each FILE's text served at its path below ROOT (index.html at "/"). Run by the
// EmbedViewer build-tool plugin.

/// Content types by file extension; any other file under ROOT is an error rather than something
/// served with a guessed type.
let contentTypes = [
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
]

/// A Swift string literal with exactly `text`'s characters.
func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("embed-viewer: \(message)\n".utf8))
    exit(1)
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count >= 2 else { fail("usage: embed-viewer OUTPUT ROOT FILE...") }
let output = URL(fileURLWithPath: arguments[arguments.startIndex])
let root = URL(fileURLWithPath: arguments[arguments.startIndex + 1]).standardizedFileURL.path + "/"

var entries: [String] = []
for file in arguments.dropFirst(2) {
    let path = URL(fileURLWithPath: file).standardizedFileURL.path
    guard path.hasPrefix(root) else { fail("\(file) is not under \(root)") }
    let relative = String(path.dropFirst(root.count))
    let ext = (relative as NSString).pathExtension
    guard let type = contentTypes[ext] else { fail("\(file): no content type for .\(ext) files") }
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(file)") }
    guard let text = String(validating: data, as: UTF8.self) else { fail("\(file) is not UTF-8") }
    let urlPath = relative == "index.html" ? "/" : "/" + relative
    entries.append("        ViewerAsset(path: \(literal(urlPath)), contentType: \(literal(type)),\n                    text: \(literal(text))),")
}

let source = """
// Generated at build time by the EmbedViewer plugin from the files under Web/page: do not edit.
extension ViewerAssets {
    static let files: [ViewerAsset] = [
\(entries.joined(separator: "\n"))
    ]
}

"""
do {
    try Data(source.utf8).write(to: output, options: .atomic)
} catch {
    fail("cannot write \(output.path): \(error)")
}
