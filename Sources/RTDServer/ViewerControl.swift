import Foundation
import RTDCore

/// What a viewer may ask on its control channel (the WebRTC data channel or /api/ws): parsed
/// from untrusted text without ever failing hard.
enum ViewerControl: Equatable {
    case ping(id: String?)
    case subscribe(camera: String)
    case invalid(String)

    /// `id` comes back verbatim (as JSON) in the pong, whatever its type.
    static func parse(_ text: String) -> ViewerControl {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text, limits: .control)
        } catch {
            return .invalid("invalid JSON at \(error): control messages are JSON objects")
        }
        guard let object = value.object else { return .invalid("invalid JSON: control messages are JSON objects, not \(value.typeName)") }
        switch object["type"] {
        case .string("ping")?:
            return .ping(id: object["id"].map { $0.serialized() })
        case .string("subscribe")?:
            guard let camera = object["camera"]?.string else { return .invalid("subscribe without 'camera'") }
            return .subscribe(camera: camera)
        case .string(let other)?:
            return .invalid("unknown message type '\(other)'")
        default:
            return .invalid("message without 'type'")
        }
    }

    static func pong(id: String?) -> String { id.map { "{\"type\":\"pong\",\"id\":\($0)}" } ?? "{\"type\":\"pong\"}" }

    static func message(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The reply to one control message, the same for WebRTC and WebSocket viewers; a subscribe
    /// to a known camera calls `switchTo` first, whose fields (what became of the sound) join the
    /// reply. A viewer of several cameras at once (a grid on one connection) cannot switch:
    /// `canSwitch` false answers a subscribe with an error.
    static func respond(to text: String, hub: CameraHub, canSwitch: Bool = true, switchTo: (Camera) -> [String: Any]) -> String {
        switch parse(text) {
        case .ping(let id):
            return pong(id: id)
        case .subscribe where !canSwitch:
            return message(["type": "error", "error": "this connection shows several cameras; subscribe needs a connection with one"])
        case .subscribe(let name):
            guard let camera = hub.camera(named: name) else {
                return message(["type": "error", "error": "no camera '\(name)' (cameras: \(hub.names.joined(separator: ", ")))"])
            }
            var reply: [String: Any] = ["type": "subscribed", "camera": name]
            reply.merge(switchTo(camera)) { kept, _ in kept }
            return message(reply)
        case .invalid(let error):
            return message(["type": "error", "error": error])
        }
    }
}
