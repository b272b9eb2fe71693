// What the page's address asks for, and the addresses and messages derived from it. No DOM:
// the page passes location's parts in.

// ?token= ?camera= ?codec= ?transport= ?webrtc_timeout_ms= ?overlay=0 ?view=grid ?ice=relay
export function pageSettings(search) {
  const params = new URLSearchParams(search);
  return {
    token: params.get("token"),
    camera: params.get("camera"),
    codec: params.get("codec"),
    transport: params.get("transport"), // "webrtc" | "ws" | null (automatic)
    webrtcTimeoutMs: Number(params.get("webrtc_timeout_ms")) || 6000,
    overlay: params.get("overlay") !== "0",
    view: params.get("view"),
    // RTCPeerConnection's iceTransportPolicy: "relay" uses the TURN servers of ice_servers only.
    iceTransportPolicy: params.get("ice") === "relay" ? "relay" : "all",
  };
}

// The WebSocket fallback next to the page (ws: or wss: like the page), with the token in the
// query: browsers cannot set headers on a WebSocket.
export function webSocketURL(pageHref, camera, token) {
  const u = new URL("api/ws", pageHref);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.search = "";
  u.searchParams.set("camera", camera);
  if (token) u.searchParams.set("token", token);
  return u.href;
}

// The page's address with ?camera= set to `name` and every other parameter (the token too) kept.
export function withCamera(pageHref, name) {
  const u = new URL(pageHref);
  u.searchParams.set("camera", name);
  return u.href;
}

// What a GET /api/config that is not a configuration means: {denied} when the server refused
// us, {offline} when this is no rtd server; null when the answer is worth reading.
export function configRefusal(status, statusText, ok, token) {
  if (status === 401 || status === 403) {
    return { denied: `the server refused access (${status})` + (token ? ": check ?token=" : ": open the page with ?token=…") };
  }
  if (!ok) return { offline: `no rtd server here (GET /api/config: ${status} ${statusText})` };
  return null;
}

export const isConfig = (c) => Array.isArray(c.cameras);
