/// The browser viewer: the files under Web/page (HTML, CSS and JavaScript modules), compiled into
/// the binary at build time by the EmbedViewer plugin (`files` is generated), so nothing is read
/// from disk at run time and nothing is loaded from elsewhere.
enum ViewerAssets {
    /// Paths served without the token: the page (`/`) carries it; the files it loads have no data in them.
    static var publicPaths: [String] { files.map(\.path).filter { $0 != "/" } }
}

/// One file of the viewer, served at `path`.
struct ViewerAsset: Sendable {
    let path: String
    let contentType: String
    let text: String
}
