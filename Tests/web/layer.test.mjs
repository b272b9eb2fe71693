import { test } from "node:test";
import assert from "node:assert/strict";
import { viewerModule } from "./viewer.mjs";

const stats = viewerModule("stats.js");
const overlay = viewerModule("overlay.js");

const lower = { type: "layer", camera: "cam0", index: 1, count: 3, width: 640, height: 360, kbps: 525, link_kbps: 410,
                reason: "your link carries ~410 kbit/s" };

test("a lower layer reads as its size and why; the full one as its size", async () => {
  const { layerText } = await stats;
  assert.equal(layerText(lower), "640×360 — your link carries ~410 kbit/s");
  assert.equal(layerText({ ...lower, index: 0, width: 1280, height: 720, reason: "full size", link_kbps: null }), "1280×720");
  // Without the server's reason: the link's rate it measured, else which layer.
  assert.equal(layerText({ ...lower, reason: undefined, link_kbps: 409.6 }), "640×360 — your link carries ~410 kbit/s");
  assert.equal(layerText({ ...lower, reason: "  ", link_kbps: null }), "640×360 — smaller picture 2 of 3");
  assert.equal(layerText({ ...lower, reason: "x".repeat(500) }).length, "640×360 — ".length + 120);
});

test("only a well-formed layer message is shown", async () => {
  const { layerText, isLayer } = await stats;
  for (const bad of [null, undefined, {}, { ...lower, type: "detections" }, { ...lower, index: -1 }, { ...lower, index: 1.5 },
                     { ...lower, width: 0 }, { ...lower, height: "360" }, { ...lower, index: "1" }]) {
    assert.equal(isLayer(bad), false, JSON.stringify(bad));
    assert.equal(layerText(bad), "");
  }
  assert.equal(isLayer(lower), true);
});

test("the panel shows the layer on WebRTC only, and a new connection forgets it", async () => {
  const { newStats, statsPanel, perConnection } = await stats;
  const st = Object.assign(newStats("cam0"), { transport: "webrtc", layer: lower });
  assert.equal(statsPanel(st).text["s-layer"], "640×360 — your link carries ~410 kbit/s");
  assert.equal(statsPanel({ ...st, transport: "ws" }).text["s-layer"], "—");
  assert.equal(statsPanel(newStats("cam0")).text["s-layer"], "—");
  assert.equal(Object.assign(st, perConnection("webrtc")).layer, null);
});

test("boxes of the full frame land on a smaller layer's picture where they would on the full one", async () => {
  const { fitPicture, boxOnCanvas } = await overlay;
  // The record's boxes are in 1280x720 pixels; the video is the 320x180 layer, shown in 800x600.
  const small = fitPicture(800, 600, 320, 180, 1280, 720);
  const full = fitPicture(800, 600, 1280, 720, 1280, 720);
  assert.deepEqual(small, full);
  assert.deepEqual(boxOnCanvas(small, [640, 360, 128, 72]), { x: 400, y: 300, w: 80, h: 45 });
  // A layer of another shape (WxH) holding the whole frame, stretched: boxes follow each axis.
  const other = fitPicture(800, 600, 480, 360, 1280, 720);
  assert.deepEqual(boxOnCanvas(other, [640, 360, 128, 72]), { x: 400, y: 300, w: 80, h: 60 });
});
