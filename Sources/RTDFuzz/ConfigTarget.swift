@testable import RTDServer

/// `rtd serve --config FILE`. Property: any text gives a config or a `ConfigError` whose line
/// lies within the text; a config that loads has only valid, distinct camera names.
func fuzzConfig(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    do throws(ConfigError) {
        let config = try ConfigFile.parse(text, file: "fuzz.yaml")
        require(config.cameras.allSatisfy { CameraConfig.validName($0.name) }, "invalid camera name loaded")
        require(Set(config.cameras.map(\.name)).count == config.cameras.count, "camera names repeat")
    } catch {
        // YAML breaks lines at CR, LF, CRLF, NEL, LS and PS; isNewline counts a few more.
        let lines = text.count { $0.isNewline } + 1
        if let line = error.line {
            require(line >= 1 && line <= lines + 1, "error at line \(line) of a \(lines)-line text: \(error)")
        }
    }
}
