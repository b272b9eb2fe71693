import { test } from "node:test";
import assert from "node:assert/strict";
import { viewerModule } from "./viewer.mjs";

const settings = viewerModule("settings.js");

test("the page's address gives the token, camera and options", async () => {
  const { pageSettings } = await settings;
  assert.deepEqual(pageSettings("?token=s%20ecret&camera=door&codec=vp8&transport=ws&webrtc_timeout_ms=1500&overlay=0&view=grid"),
                   { token: "s ecret", camera: "door", codec: "vp8", transport: "ws", webrtcTimeoutMs: 1500, overlay: false,
                     view: "grid", iceTransportPolicy: "all" });
  assert.deepEqual(pageSettings(""), { token: null, camera: null, codec: null, transport: null, webrtcTimeoutMs: 6000,
                                       overlay: true, view: null, iceTransportPolicy: "all" });
  // ?ice=relay forces the TURN relay; anything else is the default policy.
  assert.equal(pageSettings("?ice=relay").iceTransportPolicy, "relay");
  assert.equal(pageSettings("?ice=host").iceTransportPolicy, "all");
  // A timeout that is no number (or 0) is the default.
  assert.equal(pageSettings("?webrtc_timeout_ms=soon").webrtcTimeoutMs, 6000);
  assert.equal(pageSettings("?webrtc_timeout_ms=0").webrtcTimeoutMs, 6000);
  assert.equal(pageSettings("?overlay=1").overlay, true);
});

test("the WebSocket is beside the page, ws: or wss: like it, with the camera and the token", async () => {
  const { webSocketURL } = await settings;
  assert.equal(webSocketURL("http://host:8080/?token=t&camera=a#x", "b", "t"), "ws://host:8080/api/ws?camera=b&token=t");
  assert.equal(webSocketURL("https://host/rtd/index.html?view=grid", "cam 1", null), "wss://host/rtd/api/ws?camera=cam+1");
  assert.equal(webSocketURL("http://h/", "a", "a&b=c"), "ws://h/api/ws?camera=a&token=a%26b%3Dc");
});

test("choosing a camera keeps the token and every other parameter", async () => {
  const { withCamera } = await settings;
  assert.equal(withCamera("http://h/?token=t&camera=a&overlay=0", "b"), "http://h/?token=t&camera=b&overlay=0");
  assert.equal(withCamera("http://h/", "b"), "http://h/?camera=b");
});

test("an answer from /api/config that is not a configuration says why", async () => {
  const { configRefusal, isConfig } = await settings;
  assert.deepEqual(configRefusal(401, "Unauthorized", false, null),
                   { denied: "the server refused access (401): open the page with ?token=…" });
  assert.deepEqual(configRefusal(403, "Forbidden", false, "t"), { denied: "the server refused access (403): check ?token=" });
  assert.deepEqual(configRefusal(404, "Not Found", false, null), { offline: "no rtd server here (GET /api/config: 404 Not Found)" });
  assert.equal(configRefusal(200, "OK", true, null), null);
  assert.equal(isConfig({ cameras: ["a"] }), true);
  assert.equal(isConfig({ cameras: "a" }), false);
  assert.equal(isConfig({}), false);
});
