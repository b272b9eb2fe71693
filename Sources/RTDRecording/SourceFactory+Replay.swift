import RTDMedia

extension SourceFactory {
    /// Every source, `replay:FILE` recordings included.
    public static let all = SourceFactory(replay: { path, options throws(MediaError) in
        try ReplaySource(path: path, options: options)
    })
}
